// Key tables of the mqtt adapter: connection keys, subscriptions and how payloads map to
// readings. Checks templates against the wildcards of their filter.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

constexpr std::array<EnumName<PayloadFormat>, 3> kPayloads{{{"json", PayloadFormat::kJson},
                                                            {"number", PayloadFormat::kNumber},
                                                            {"line", PayloadFormat::kLine}}};
constexpr std::array<EnumName<TimestampUnit>, 6> kTimestampUnits{
    {{"auto", TimestampUnit::kAuto},
     {"s", TimestampUnit::kSeconds},
     {"ms", TimestampUnit::kMilliseconds},
     {"us", TimestampUnit::kMicroseconds},
     {"ns", TimestampUnit::kNanoseconds},
     {"rfc3339", TimestampUnit::kRfc3339}}};

bool is_mqtt_url(std::string_view text) {
  for (std::string_view scheme : {"tcp://", "ssl://"}) {
    if (text.starts_with(scheme) && text.size() > scheme.size()) return true;
  }
  return false;
}
const TextRule kMqttUrl{"a URL such as tcp://host:1883 or ssl://host:8883", is_mqtt_url};

// Wildcards as whole levels, '#' only last.
bool is_topic_filter(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = 0;
  for (int level = 0; level < 1024; ++level) {
    const std::size_t slash = text.find('/', start);
    const std::string_view part =
        text.substr(start, slash == text.npos ? text.npos : slash - start);
    const bool wild = part.find_first_of("+#") != part.npos;
    if (wild && part != "+" && part != "#") return false;
    if (part == "#" && slash != text.npos) return false;
    if (slash == text.npos) return true;
    start = slash + 1;
  }
  return false;
}
const TextRule kTopicFilter{"an MQTT topic filter with + and # as whole levels, # last",
                            is_topic_filter};

int wildcard_count(std::string_view filter) {
  int count = 0;
  std::size_t start = 0;
  for (int level = 0; level < 1024; ++level) {
    const std::size_t slash = filter.find('/', start);
    const std::string_view part =
        filter.substr(start, slash == filter.npos ? filter.npos : slash - start);
    if (part == "+" || part == "#") ++count;
    if (slash == filter.npos) break;
    start = slash + 1;
  }
  return count;
}

// The highest {N} capture a template uses; 0 if none.
int highest_capture(std::string_view text) {
  int highest = 0;
  for (std::size_t open = text.find('{'); open != text.npos; open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open);
    if (close == text.npos) break;
    const std::string_view inside = text.substr(open + 1, close - open - 1);
    if (inside.empty() || inside.size() > 3 ||
        !std::all_of(inside.begin(), inside.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    highest = std::max(highest, std::stoi(std::string(inside)));
  }
  return highest;
}

void check_template(Reader& reader, const YAML::Node& sub_node, const std::string& path,
                    std::string_view key, const std::string& text, const std::string& filter) {
  const int used = highest_capture(text);
  const int available = wildcard_count(filter);
  if (used <= available) return;
  const YAML::Node value = sub_node[std::string(key)];
  reader.error((value.IsDefined() ? value : sub_node).Mark(), join_path(path, key),
               "\"" + text + "\" uses {" + std::to_string(used) + "} but filter \"" + filter +
                   "\" has " + std::to_string(available) + " wildcard" +
                   (available == 1 ? "" : "s") + "; set " + std::string(key) +
                   " to a template over {1}..{" + std::to_string(available) + "} or a name");
}

void parse_metrics(Reader& reader, const YAML::Node& node, const std::string& path,
                   MqttSubscription& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    const std::string key_path = join_path(path, entry.key);
    MetricField metric;
    if (entry.value.IsScalar()) {
      metric.field = entry.value.Scalar();  // shorthand "temp: t"
    } else {
      parse_mapping(reader, entry.value, key_path, metric_field_keys(), metric);
    }
    metric.name = entry.key;
    out.metrics.push_back(std::move(metric));
  }
}

void parse_tags(Reader& reader, const YAML::Node& node, const std::string& path,
                MqttSubscription& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    if (auto value = reader.text(entry.value, join_path(path, entry.key))) {
      out.tags.emplace_back(entry.key, *value);
    }
  }
}

void parse_subscription(Reader& reader, const YAML::Node& node, const std::string& path,
                        MqttSubscription& out) {
  out.mark = {node.Mark().line + 1, node.Mark().column + 1};
  out.qos = -1;  // until the adapter's qos is known
  parse_mapping(reader, node, path, subscription_keys(), out);
  if (out.filter.empty() || !node.IsMap()) return;
  check_template(reader, node, path, "device", out.device, out.filter);
  if (out.payload == PayloadFormat::kNumber) {
    check_template(reader, node, path, "metric", out.metric, out.filter);
  }
  for (const MetricField& metric : out.metrics) {
    check_template(reader, node["metrics"], join_path(path, "metrics"), metric.name, metric.name,
                   out.filter);
  }
  for (const auto& [tag, value] : out.tags) {
    check_template(reader, node["tags"], join_path(path, "tags"), tag, value, out.filter);
  }
}

void parse_subscriptions(Reader& reader, const YAML::Node& node, const std::string& path,
                         MqttAdapter& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  if (items->empty()) {
    reader.error(node.Mark(), path, "expected at least one subscription");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    MqttSubscription sub;
    parse_subscription(reader, (*items)[i], index_path(path, i), sub);
    out.subscriptions.push_back(std::move(sub));
  }
}

std::string show_subscription(const MqttSubscription& sub) {
  std::string out = sub.filter + " (qos " + std::to_string(sub.qos) + ", " +
                    std::string(name_of(kPayloads, sub.payload)) + ", device " + sub.device;
  if (sub.payload == PayloadFormat::kNumber) out += ", metric " + sub.metric;
  if (!sub.metrics.empty()) {
    out += ", metrics ";
    for (std::size_t i = 0; i < sub.metrics.size(); ++i) {
      out += (i > 0 ? "," : "") + sub.metrics[i].name;
    }
  }
  if (!sub.topic.empty()) out += ", topic " + sub.topic;
  return out + ")";
}

// A TLS file must be readable now: finding out at the first connect is too late.
void check_readable(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::string_view key, const std::filesystem::path& file) {
  if (file.empty() || ::access(file.c_str(), R_OK) == 0) return;
  reader.error(node[std::string(key)].Mark(), join_path(path, key),
               "cannot read " + file.string() + ": " + std::strerror(errno));
}

}  // namespace

const KeyTable<MqttAdapter>& mqtt_keys() {
  using S = MqttAdapter;
  static const KeyTable<S> table{
      text_key("url", &S::url, "Broker URL, tcp:// or ssl://.", kMqttUrl),
      text_key("client_id", &S::client_id,
               "MQTT client id; the session (and QoS 1 messages queued for it) survives "
               "restarts under this id.")
          .by_default("<gateway.id>-<adapter name>"),
      integer_key("qos", &S::qos, 0, 2, "Default QoS of the subscriptions."),
      make_key<S>(
          "mqtt_version", "choice", "Protocol version: 3.1.1 (also written 4) or 5.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            static constexpr std::array<std::string_view, 3> kVersions{"3.1.1", "4", "5"};
            if (auto value = reader.choice(node, path, kVersions))
              out.mqtt_version = *value == "5" ? 5 : 4;
          },
          [](const S& s) { return std::string(s.mqtt_version == 5 ? "5" : "3.1.1"); })
          .allowing("3.1.1, 4 or 5"),
      text_key("username", &S::username, "User name; unset: none.", kAnyText),
      path_key("password_file", &S::password_file,
               "File holding the password; should be mode 600."),
      path_key("ca_file", &S::ca_file, "CA certificates for ssl://; unset: the system's."),
      path_key("cert_file", &S::cert_file, "Client certificate (with key_file)."),
      path_key("key_file", &S::key_file, "Client private key (with cert_file)."),
      duration_key("keepalive", &S::keepalive, "MQTT keep-alive interval."),
      duration_key("reconnect_min", &S::reconnect_min, "First reconnect delay."),
      duration_key("reconnect_max", &S::reconnect_max, "Reconnect delays double up to this."),
      make_key<S>("subscriptions", "list", "What to subscribe to; see adapters[].subscriptions[].",
                  parse_subscriptions,
                  [](const S& s) {
                    std::string out;
                    for (const MqttSubscription& sub : s.subscriptions) {
                      out += (out.empty() ? "" : "; ") + show_subscription(sub);
                    }
                    return out;
                  })
          .required(),
  };
  return table;
}

const KeyTable<MqttSubscription>& subscription_keys() {
  using S = MqttSubscription;
  static const KeyTable<S> table{
      text_key("filter", &S::filter,
               "Topic filter; each + or # level is a capture, {1}, {2}, ... in templates.",
               kTopicFilter)
          .required(),
      integer_key("qos", &S::qos, 0, 2, "QoS of this subscription.")
          .by_default("the adapter's qos"),
      text_key("device", &S::device, "Device name template over the captures."),
      enum_key("payload", &S::payload, std::span(kPayloads),
               "json: an object (or readings_field array) of fields; number: the payload is "
               "one number; line: InfluxDB line protocol."),
      make_key<S>("metrics", "mapping",
                  "json: metric name -> {field, unit} (or just the field: `temp: t`); field is "
                  "a dotted path into the object.",
                  parse_metrics, nullptr)
          .by_default("every numeric top-level field"),
      text_key("metric", &S::metric, "number: metric name template."),
      text_key("unit", &S::unit, "number: unit of the value.", kAnyText),
      text_key("readings_field", &S::readings_field,
               "json: dotted path to an array of reading objects; unset: the object itself.",
               kAnyText),
      make_key<S>(
          "timestamp", "mapping", "Where the reading's time is: {field, unit}.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            parse_mapping(reader, node, path, timestamp_keys(), out.timestamp);
          },
          nullptr)
          .by_default("the receive time"),
      text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.", kAnyText),
      make_key<S>("tags", "mapping", "Constant tags of every reading (templates allowed).",
                  parse_tags, nullptr),
  };
  return table;
}

const KeyTable<MetricField>& metric_field_keys() {
  using S = MetricField;
  static const KeyTable<S> table{
      text_key("field", &S::field, "Dotted path into the JSON object, e.g. sensors.t.").required(),
      text_key("unit", &S::unit, "Unit of the value.", kAnyText),
  };
  return table;
}

const KeyTable<TimestampSpec>& timestamp_keys() {
  using S = TimestampSpec;
  static const KeyTable<S> table{
      text_key("field", &S::field, "Dotted path of the time in the JSON object.").required(),
      enum_key("unit", &S::unit, kTimestampUnits,
               "Epoch seconds, ms, us or ns, or RFC 3339 text; auto: guessed from the size of "
               "the number, or RFC 3339 for text."),
  };
  return table;
}

void parse_mqtt(Reader& reader, const YAML::Node& node, const std::string& path,
                AdapterConfig& out) {
  MqttAdapter mqtt;
  parse_mapping(reader, node, path, mqtt_keys(), mqtt, std::span(kAdapterCommonKeys));
  for (MqttSubscription& sub : mqtt.subscriptions) {
    if (sub.qos < 0) sub.qos = mqtt.qos;
  }
  if (mqtt.reconnect_min > mqtt.reconnect_max) {
    const YAML::Node at = node["reconnect_min"];
    reader.error((at.IsDefined() ? at : node).Mark(), join_path(path, "reconnect_min"),
                 format_duration(mqtt.reconnect_min) + " is longer than reconnect_max (" +
                     format_duration(mqtt.reconnect_max) + ")");
  }
  if (mqtt.cert_file.empty() != mqtt.key_file.empty()) {
    const char* given = mqtt.cert_file.empty() ? "key_file" : "cert_file";
    const char* missing = mqtt.cert_file.empty() ? "cert_file" : "key_file";
    reader.error(node[given].Mark(), join_path(path, given),
                 std::string("needs ") + missing + " as well");
  }
  check_readable(reader, node, path, "ca_file", mqtt.ca_file);
  check_readable(reader, node, path, "cert_file", mqtt.cert_file);
  check_readable(reader, node, path, "key_file", mqtt.key_file);
  if (!mqtt.password_file.empty()) {
    if (auto password = reader.secret(node["password_file"], join_path(path, "password_file"),
                                      mqtt.password_file)) {
      mqtt.password = *password;
    }
  }
  out.settings = std::move(mqtt);
}

}  // namespace sensorgate::config
