// The adapter list: the one table of adapter types, the keys every adapter has, and the key
// tables of the two small types (http, udp). mqtt and modbus_tcp have their own files.
#include <algorithm>
#include <array>

#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

template <class S>
void parse_simple(Reader& reader, const YAML::Node& node, const std::string& path,
                  AdapterConfig& out, const KeyTable<S>& table) {
  S settings;
  parse_mapping(reader, node, path, table, settings, std::span(kAdapterCommonKeys));
  out.settings = std::move(settings);
}

void parse_http(Reader& reader, const YAML::Node& node, const std::string& path,
                AdapterConfig& out) {
  parse_simple(reader, node, path, out, http_adapter_keys());
  // The token is read here, not in the key's parser, so that it is read once per adapter.
  auto& http = std::get<HttpAdapter>(out.settings);
  if (!http.token_file.empty()) {
    const YAML::Node token_node = node["token_file"];
    if (auto token = reader.secret(token_node, join_path(path, "token_file"), http.token_file)) {
      http.token = *token;
    }
  }
}

void parse_udp(Reader& reader, const YAML::Node& node, const std::string& path,
               AdapterConfig& out) {
  parse_simple(reader, node, path, out, udp_adapter_keys());
}

template <class S>
std::vector<std::string> summarize(const AdapterSettings& settings, const KeyTable<S>& (*table)()) {
  return summary_items(table(), std::get<S>(settings));
}

constexpr std::array<EnumName<LineFormat>, 1> kLineFormats{
    {{"influx_line", LineFormat::kInfluxLine}}};

const std::array<AdapterType, 4> kAdapterTypes{{
    {"mqtt", "Subscribes to an MQTT broker; acknowledges QoS 1/2 messages only after commit.",
     parse_mqtt, [] { return key_docs(mqtt_keys()); },
     [](const AdapterSettings& s) { return summarize<MqttAdapter>(s, mqtt_keys); }},
    {"modbus_tcp", "Polls registers of a Modbus TCP device.", parse_modbus,
     [] { return key_docs(modbus_keys()); },
     [](const AdapterSettings& s) { return summarize<ModbusAdapter>(s, modbus_keys); }},
    {"http", "Accepts readings as JSON over HTTP POST (see the HTTP ingest body).", parse_http,
     [] { return key_docs(http_adapter_keys()); },
     [](const AdapterSettings& s) { return summarize<HttpAdapter>(s, http_adapter_keys); }},
    {"udp", "Receives InfluxDB line protocol datagrams.", parse_udp,
     [] { return key_docs(udp_adapter_keys()); },
     [](const AdapterSettings& s) { return summarize<UdpAdapter>(s, udp_adapter_keys); }},
}};

std::vector<std::string_view> type_names() {
  std::vector<std::string_view> names;
  for (const AdapterType& type : kAdapterTypes) names.push_back(type.name);
  return names;
}

void parse_adapter(Reader& reader, const YAML::Node& node, const std::string& path,
                   AdapterConfig& out) {
  out.mark = {node.Mark().line + 1, node.Mark().column + 1};
  if (!node.IsMap()) {
    reader.error(node.Mark(), path,
                 "expected a mapping with name, type and the type's keys, " + Reader::got(node));
    return;
  }
  for (const Key<AdapterConfig>& key : adapter_common_keys()) {
    const YAML::Node value = node[std::string(key.doc.name)];
    if (value.IsDefined()) {
      key.parse(reader, value, join_path(path, key.doc.name), out);
    } else {
      reader.error(node.Mark(), join_path(path, key.doc.name), "required key is missing");
    }
  }
  auto type = std::find_if(kAdapterTypes.begin(), kAdapterTypes.end(),
                           [&](const AdapterType& t) { return t.name == out.type; });
  if (type != kAdapterTypes.end()) {
    type->parse(reader, node, path, out);
  } else {
    // Without a type the allowed keys are unknown; still report duplicate keys.
    (void)reader.entries(node, path);
  }
}

}  // namespace

std::span<const AdapterType> adapter_types() {
  return kAdapterTypes;
}

const KeyTable<AdapterConfig>& adapter_common_keys() {
  using S = AdapterConfig;
  static const std::vector<std::string_view> names = type_names();
  static const KeyTable<S> table{
      text_key("name", &S::name, "Names the adapter in logs, metrics and /status; unique.", kName)
          .required(),
      word_choice_key("type", &S::type, names, "The protocol; selects the keys below.").required(),
  };
  return table;
}

void parse_adapters(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::vector<AdapterConfig>& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string item_path = index_path(path, i);
    AdapterConfig adapter;
    parse_adapter(reader, item, item_path, adapter);
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const AdapterConfig& a) { return a.name == adapter.name; });
    if (!adapter.name.empty() && same != out.end()) {
      reader.error(item["name"].Mark(), join_path(item_path, "name"),
                   "duplicate adapter name \"" + adapter.name + "\"; first used by " +
                       index_path(path, static_cast<std::size_t>(same - out.begin())));
    }
    out.push_back(std::move(adapter));
  }
}

const KeyTable<HttpAdapter>& http_adapter_keys() {
  using S = HttpAdapter;
  static const KeyTable<S> table{
      text_key("listen", &S::listen, "Address to accept POST /ingest on.", kListenAddress),
      path_key("token_file", &S::token_file,
               "File holding the bearer token clients must send; unset: no token required. "
               "Should be mode 600."),
      size_key("max_body", &S::max_body, "Largest request body accepted."),
      text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.", kAnyText),
  };
  return table;
}

const KeyTable<UdpAdapter>& udp_adapter_keys() {
  using S = UdpAdapter;
  static const KeyTable<S> table{
      text_key("listen", &S::listen, "Address to receive datagrams on.", kListenAddress),
      enum_key("format", &S::format, kLineFormats, "Datagram format."),
      text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.", kAnyText),
  };
  return table;
}

}  // namespace sensorgate::config
