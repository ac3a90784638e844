// The key tables of the shared config sections (gateway, buffer, kafka, adapters[] common keys,
// rules, http) and the parsers built on them (config/sections/). Internal to the config library;
// tables are built on first use and then only read.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/adapter_syntax.hpp"
#include "config/config.hpp"
#include "config/key_table.hpp"
#include "config/yaml_reader.hpp"

namespace sensorgate::config {

// Letters, digits, '.', '_' and '-': adapter and rule names end up in metric labels.
bool is_name(std::string_view text);
inline const TextRule kName{"a name of letters, digits, '.', '_' or '-'", is_name};

// The file's top level: one row per section.
KeyTable<Config> top_level_keys(std::span<const AdapterSyntax> adapter_types);

const KeyTable<GatewaySection>& gateway_keys();
const KeyTable<BufferSection>& buffer_keys();
const KeyTable<KafkaSection>& kafka_keys();
const KeyTable<HttpSection>& http_keys();
// Parses the http section, reads its token_file, and refuses a listen address other machines
// can reach without a token_file.
void parse_http(Reader& reader, const YAML::Node& node, const std::string& path, HttpSection& out);

// adapters[]: `name` and `type` first, then the keys of the type.
KeyTable<AdapterConfig> adapter_common_keys(std::span<const AdapterSyntax> types);
// Parses the `adapters` list by the adapter types `types`; names must be unique.
void parse_adapters(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::span<const AdapterSyntax> types, std::vector<AdapterConfig>& out);

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

}  // namespace sensorgate::config
