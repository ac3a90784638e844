// Key tables of the mqtt adapter: connection keys, subscriptions and how payloads map to
// readings. Checks templates against the wildcards of their filter with the same Template and
// TopicFilter parsers the mapping uses.
#include "adapters/mqtt/settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "adapters/mqtt/template.hpp"
#include "adapters/mqtt/topic_filter.hpp"
#include "config/rule_reach.hpp"
#include "core/utf8.hpp"

namespace sensorgate::mqtt {
namespace {

using config::Entry;
using config::EnumName;
using config::join_path;
using config::Key;
using config::KeyTable;
using config::Reader;
using config::TextRule;
using formats::TimestampUnit;

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
    if (text.starts_with(scheme) && text.size() > scheme.size() &&
        text.find_first_of(" \t\r\n") == std::string_view::npos) {
      return true;
    }
  }
  return false;
}
const TextRule kMqttUrl{"a URL such as tcp://host:1883 or ssl://host:8883", is_mqtt_url};

bool is_topic_filter(std::string_view text) {
  return TopicFilter::parse(text).has_value();
}
const TextRule kTopicFilter{"an MQTT topic filter with + and # as whole levels, # last",
                            is_topic_filter};

bool is_utf8_text(std::string_view text) {
  return !text.empty() && is_valid_utf8(text);
}
const TextRule kUtf8Text{"non-empty UTF-8 text", is_utf8_text};

// A template of `key` must parse and use no capture its filter lacks.
void check_template(Reader& reader, const YAML::Node& owner, const std::string& path,
                    std::string_view key, const std::string& text, const TopicFilter& filter) {
  const YAML::Node value = owner[std::string(key)];
  const YAML::Mark at = (value.IsDefined() ? value : owner).Mark();
  const auto parsed = Template::parse(text);
  if (!parsed.ok()) {
    reader.error(at, join_path(path, key), parsed.error().message);
    return;
  }
  const int used = parsed->highest_capture();
  const int available = filter.wildcard_count();
  if (used <= available) return;
  reader.error(at, join_path(path, key),
               "\"" + text + "\" uses {" + std::to_string(used) + "} but filter \"" +
                   filter.text() + "\" has " + std::to_string(available) + " wildcard" +
                   (available == 1 ? "" : "s") + "; set " + std::string(key) +
                   (available == 0 ? std::string(" to a name")
                                   : " to a template over {1}..{" + std::to_string(available) +
                                         "} or a name"));
}

const KeyTable<MetricField>& metric_field_keys() {
  using S = MetricField;
  static const KeyTable<S> table{
      config::text_key("field", &S::field, "Dotted path into the JSON object, e.g. sensors.t.")
          .required(),
      config::text_key("unit", &S::unit, "Unit of the value.", config::kAnyText),
  };
  return table;
}

const KeyTable<TimestampSpec>& timestamp_keys() {
  using S = TimestampSpec;
  static const KeyTable<S> table{
      config::text_key("field", &S::field, "Dotted path of the time in the JSON object.")
          .required(),
      config::enum_key("unit", &S::unit, kTimestampUnits,
                       "Epoch seconds, ms, us or ns, or RFC 3339 text; auto: guessed from the "
                       "size of the number, or RFC 3339 for text."),
  };
  return table;
}

void parse_metrics(Reader& reader, const YAML::Node& node, const std::string& path,
                   Subscription& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    const std::string key_path = join_path(path, entry.key);
    MetricField metric;
    if (entry.value.IsScalar()) {
      metric.field = entry.value.Scalar();  // shorthand "temp: t"
    } else {
      config::parse_mapping(reader, entry.value, key_path, metric_field_keys(), metric);
    }
    metric.name = entry.key;
    out.metrics.push_back(std::move(metric));
  }
}

void parse_tags(Reader& reader, const YAML::Node& node, const std::string& path,
                Subscription& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    if (auto value = reader.text(entry.value, join_path(path, entry.key))) {
      out.tags.emplace_back(entry.key, *value);
    }
  }
}

const KeyTable<Subscription>& subscription_keys() {
  using S = Subscription;
  static const KeyTable<S> table{
      config::text_key("filter", &S::filter,
                       "Topic filter; each + or # level is a capture, {1}, {2}, ... in templates.",
                       kTopicFilter)
          .required(),
      config::integer_key("qos", &S::qos, 0, 2, "QoS of this subscription.")
          .by_default("the adapter's qos"),
      config::text_key("device", &S::device, "Device name template over the captures."),
      config::enum_key("payload", &S::payload, std::span(kPayloads),
                       "json: an object (or readings_field array) of fields, UTF-8, at most 32 "
                       "levels deep, integers within 64 bits (a leading byte order mark is "
                       "skipped; a metric field repeated in one object reads its first "
                       "occurrence); number: the payload is one number; line: InfluxDB line "
                       "protocol."),
      config::make_key<S>("metrics", "mapping",
                          "json: metric name -> {field, unit} (or just the field: `temp: t`); "
                          "field is a dotted path into the object.",
                          parse_metrics, nullptr)
          .by_default("every numeric top-level field"),
      config::text_key("metric", &S::metric, "number: metric name template."),
      config::text_key("unit", &S::unit, "number: unit of the value.", config::kAnyText),
      config::text_key(
          "readings_field", &S::readings_field,
          "json: dotted path to an array of reading objects; unset: the object itself.",
          config::kAnyText),
      config::make_key<S>(
          "timestamp", "mapping", "Where the reading's time is: {field, unit}.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            config::parse_mapping(reader, node, path, timestamp_keys(), out.timestamp);
          },
          nullptr)
          .by_default("the receive time"),
      config::text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.",
                       config::kAnyText),
      config::make_key<S>("tags", "mapping", "Constant tags of every reading (templates allowed).",
                          parse_tags, nullptr),
  };
  return table;
}

void parse_subscription(Reader& reader, const YAML::Node& node, const std::string& path,
                        Subscription& out) {
  out.mark = {node.Mark().line + 1, node.Mark().column + 1};
  out.qos = -1;  // until the adapter's qos is known
  config::parse_mapping(reader, node, path, subscription_keys(), out);
  if (out.filter.empty() || !node.IsMap()) return;
  const auto filter = TopicFilter::parse(out.filter);
  if (!filter) return;  // reported by the filter key
  check_template(reader, node, path, "device", out.device, *filter);
  if (out.payload == PayloadFormat::kNumber) {
    check_template(reader, node, path, "metric", out.metric, *filter);
  }
  for (const MetricField& metric : out.metrics) {
    check_template(reader, node["metrics"], join_path(path, "metrics"), metric.name, metric.name,
                   *filter);
  }
  for (const auto& [tag, value] : out.tags) {
    check_template(reader, node["tags"], join_path(path, "tags"), tag, value, *filter);
  }
}

void parse_subscriptions(Reader& reader, const YAML::Node& node, const std::string& path,
                         MqttSettings& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  if (items->empty()) {
    reader.error(node.Mark(), path, "expected at least one subscription");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    Subscription sub;
    parse_subscription(reader, (*items)[i], config::index_path(path, i), sub);
    out.subscriptions.push_back(std::move(sub));
  }
}

std::string show_subscription(const Subscription& sub) {
  std::string out = sub.filter + " (qos " + std::to_string(sub.qos) + ", " +
                    std::string(config::name_of(kPayloads, sub.payload)) + ", device " + sub.device;
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

constexpr std::array<config::EnumName<AckMode>, 2> kAckModes{
    {{"after_commit", AckMode::kAfterCommit}, {"on_receive", AckMode::kOnReceive}}};

const KeyTable<MqttSettings>& mqtt_keys() {
  using S = MqttSettings;
  static const KeyTable<S> table{
      config::text_key("url", &S::url, "Broker URL, tcp:// or ssl://.", kMqttUrl),
      config::text_key("client_id", &S::client_id,
                       "MQTT client id; the session (and QoS 1 messages queued for it) survives "
                       "restarts under this id.",
                       kUtf8Text)
          .by_default("<gateway.id>-<adapter name>"),
      config::integer_key("qos", &S::qos, 0, 2, "Default QoS of the subscriptions."),
      config::enum_key("ack", &S::ack, kAckModes,
                       "When a QoS 1/2 message is acknowledged to the broker: after_commit once "
                       "its readings are committed to the buffer (a crash loses nothing the "
                       "broker was told is safe; one commit per message), on_receive once its "
                       "readings are queued for the next group commit or, above 5,000 "
                       "messages/s, once the message is queued for the adapter's map thread "
                       "(faster; a crash loses what arrived within buffer.commit_interval plus "
                       "the ~1 ms a message may wait for that thread)."),
      config::make_key<S>(
          "mqtt_version", "choice", "Protocol version: 3.1.1 (also written 4) or 5.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            static constexpr std::array<std::string_view, 3> kVersions{"3.1.1", "4", "5"};
            if (auto value = reader.choice(node, path, kVersions))
              out.mqtt_version = *value == "5" ? 5 : 4;
          },
          [](const S& s) { return std::string(s.mqtt_version == 5 ? "5" : "3.1.1"); })
          .allowing("3.1.1, 4 or 5"),
      config::text_key("username", &S::username, "User name; unset: none.", config::kAnyText),
      config::path_key("password_file", &S::password_file,
                       "File holding the password; should be mode 600."),
      config::path_key("ca_file", &S::ca_file, "CA certificates for ssl://; unset: the system's."),
      config::path_key("cert_file", &S::cert_file, "Client certificate (with key_file)."),
      config::path_key("key_file", &S::key_file, "Client private key (with cert_file)."),
      config::duration_key("keepalive", &S::keepalive, "MQTT keep-alive interval."),
      config::duration_key("reconnect_min", &S::reconnect_min, "First reconnect delay."),
      config::duration_key("reconnect_max", &S::reconnect_max,
                           "Reconnect delays double up to this."),
      config::make_key<S>("subscriptions", "list",
                          "What to subscribe to; see adapters[].subscriptions[].",
                          parse_subscriptions,
                          [](const S& s) {
                            std::string out;
                            for (const Subscription& sub : s.subscriptions) {
                              out += (out.empty() ? "" : "; ") + show_subscription(sub);
                            }
                            return out;
                          })
          .required(),
  };
  return table;
}

// A TLS file must be readable now, and only makes sense with ssl://: finding out at the first
// connect is too late.
void check_tls_file(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::string_view key, const std::filesystem::path& file,
                    const std::string& url) {
  if (file.empty()) return;
  const YAML::Mark at = node[std::string(key)].Mark();
  if (!is_tls_url(url)) {
    reader.error(at, join_path(path, key),
                 "is set but url " + url + " is not ssl://; use ssl://host:8883 or remove it");
    return;
  }
  if (::access(file.c_str(), R_OK) != 0) {
    reader.error(at, join_path(path, key),
                 "cannot read " + file.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

bool is_tls_url(std::string_view url) {
  return url.starts_with("ssl://");
}

std::string effective_client_id(const MqttSettings& settings, const config::AdapterConfig& adapter,
                                const config::Config& config) {
  return settings.client_id.empty() ? config.gateway.id + "-" + adapter.name : settings.client_id;
}

std::any parse_settings(Reader& reader, const YAML::Node& node, const std::string& path) {
  MqttSettings mqtt;
  config::parse_mapping(reader, node, path, mqtt_keys(), mqtt,
                        std::span(config::kAdapterCommonKeys));
  for (Subscription& sub : mqtt.subscriptions) {
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
  check_tls_file(reader, node, path, "ca_file", mqtt.ca_file, mqtt.url);
  check_tls_file(reader, node, path, "cert_file", mqtt.cert_file, mqtt.url);
  check_tls_file(reader, node, path, "key_file", mqtt.key_file, mqtt.url);
  if (!mqtt.password_file.empty()) {
    if (auto password = reader.secret(node["password_file"], join_path(path, "password_file"),
                                      mqtt.password_file)) {
      mqtt.password = *password;
    }
  }
  return mqtt;
}

std::vector<config::DocTable> settings_docs() {
  return {
      {"### type: mqtt",
       "Subscribes to an MQTT broker with a persistent session. Paho sends the QoS 1/2 "
       "acknowledgement when the message callback returns; with `ack: after_commit` (the default) "
       "the callback returns once the message's readings are committed to the buffer, so a crash "
       "loses nothing the broker was told is safe; with `ack: on_receive` it returns once the "
       "readings (above 5,000 messages/s: the message, for the adapter's map thread) are queued, "
       "and a crash may lose what arrived within `buffer.commit_interval` and the ~1 ms a message "
       "may wait for that thread. When the broker "
       "kept the session, the adapter is up as soon as it connects, before the broker confirms "
       "the subscriptions again.",
       config::key_docs(mqtt_keys())},
      {"#### adapters[].subscriptions[]", "", config::key_docs(subscription_keys())},
      {"#### adapters[].subscriptions[].metrics.<name>",
       "`<name>` is the metric name and may use the captures {1}, {2}, ...",
       config::key_docs(metric_field_keys())},
      {"#### adapters[].subscriptions[].timestamp", "", config::key_docs(timestamp_keys())},
  };
}

std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config) {
  MqttSettings shown = config::settings_of<MqttSettings>(adapter);
  shown.client_id = effective_client_id(shown, adapter, config);
  return config::summary_items(mqtt_keys(), shown);
}

std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter) {
  std::vector<config::ReadingShape> shapes;
  for (const Subscription& sub : config::settings_of<MqttSettings>(adapter).subscriptions) {
    const std::string device = config::template_glob(sub.device);
    switch (sub.payload) {
      case PayloadFormat::kNumber:
        shapes.push_back({device, config::template_glob(sub.metric)});
        break;
      case PayloadFormat::kJson:
        if (sub.metrics.empty()) shapes.push_back({device, "*"});
        for (const MetricField& metric : sub.metrics) {
          shapes.push_back({device, config::template_glob(metric.name)});
        }
        break;
      case PayloadFormat::kLine:
        shapes.push_back({"*", "*"});
        break;
    }
  }
  return shapes;
}

}  // namespace sensorgate::mqtt
