// The key tables of every config section and the parsers built on them (config/sections/).
// Internal to the config library; tables are built on first use and then only read.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/key_table.hpp"
#include "config/yaml_reader.hpp"

namespace sensorgate::config {

// Letters, digits, '.', '_' and '-': adapter and rule names end up in metric labels.
bool is_name(std::string_view text);
inline const TextRule kName{"a name of letters, digits, '.', '_' or '-'", is_name};

// The file's top level: one row per section.
const KeyTable<Config>& top_level_keys();

const KeyTable<GatewaySection>& gateway_keys();
const KeyTable<BufferSection>& buffer_keys();
const KeyTable<KafkaSection>& kafka_keys();
const KeyTable<HttpSection>& http_keys();

// adapters[]: `name` and `type` first, then the keys of the type.
const KeyTable<AdapterConfig>& adapter_common_keys();
const KeyTable<MqttAdapter>& mqtt_keys();
const KeyTable<MqttSubscription>& subscription_keys();
const KeyTable<MetricField>& metric_field_keys();
const KeyTable<TimestampSpec>& timestamp_keys();
const KeyTable<ModbusAdapter>& modbus_keys();
const KeyTable<ModbusRegister>& register_keys();
const KeyTable<HttpAdapter>& http_adapter_keys();
const KeyTable<UdpAdapter>& udp_adapter_keys();

// One adapter type: its name in `type:`, how its keys are parsed and documented.
struct AdapterType {
  std::string_view name;
  std::string_view description;
  // Parses the type's keys of `node` into `out.settings` (name and type are already set).
  void (*parse)(Reader& reader, const YAML::Node& node, const std::string& path,
                AdapterConfig& out);
  std::vector<KeyDoc> (*docs)();
  // The type's effective values for the summary, as "key=value" items.
  std::vector<std::string> (*summary)(const AdapterSettings& settings);
};
std::span<const AdapterType> adapter_types();

// Parses the `adapters` list; names must be unique.
void parse_adapters(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::vector<AdapterConfig>& out);
// The keys every adapter has besides those of its type.
inline constexpr std::array<std::string_view, 2> kAdapterCommonKeys{"name", "type"};
void parse_mqtt(Reader& reader, const YAML::Node& node, const std::string& path,
                AdapterConfig& out);
void parse_modbus(Reader& reader, const YAML::Node& node, const std::string& path,
                  AdapterConfig& out);

// rules[]
struct RuleMatch {
  std::string device = "*";
  std::string metric = "*";
};
const KeyTable<RuleConfig>& rule_keys();
const KeyTable<RuleMatch>& match_keys();
const KeyTable<RateSpec>& rate_keys();
const KeyTable<WindowSpec>& window_keys();
// The keys of which a rule has exactly one: when, rate_above, ..., absent_for.
std::span<const std::string_view> rule_kind_keys();
// Parses the `rules` list; names must be unique, each rule has exactly one kind key.
void parse_rules(Reader& reader, const YAML::Node& node, const std::string& path,
                 std::vector<RuleConfig>& out);

// Every "key=value" of `value` whose table row has a summary.
template <class T>
std::vector<std::string> summary_items(const KeyTable<T>& table, const T& value) {
  std::vector<std::string> items;
  for (const Key<T>& key : table) {
    if (!key.show) continue;
    const std::string shown = key.show(value);
    if (!shown.empty()) items.push_back(std::string(key.doc.name) + "=" + shown);
  }
  return items;
}

}  // namespace sensorgate::config
