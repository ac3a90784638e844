// The settings of one mqtt adapter (adapters[] with type: mqtt), their key tables, and the
// checks that need more than one key: templates against the wildcards of their filter (by the
// one Template and TopicFilter parsers), TLS files readable, cert_file with key_file. Parsed by
// the config loader through the AdapterSyntax of adapters/mqtt/mqtt_type.hpp; immutable after.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/formats/epoch_time.hpp"
#include "config/adapter_syntax.hpp"

namespace sensorgate::mqtt {

using std::chrono::nanoseconds;

enum class PayloadFormat { kJson, kNumber, kLine };

// How a metric is read from a JSON payload.
struct MetricField {
  std::string name;   // metric name (may hold {1}, {2} captures)
  std::string field;  // dotted path into the JSON object, e.g. "sensors.t"
  std::string unit;
};

struct TimestampSpec {
  std::string field;  // empty: receive time
  formats::TimestampUnit unit = formats::TimestampUnit::kAuto;
};

struct Subscription {
  std::string filter;          // MQTT topic filter with + and #
  int qos = 1;                 // default: the adapter's qos
  std::string device = "{1}";  // template over wildcard captures {1}, {2}, ...
  PayloadFormat payload = PayloadFormat::kJson;
  std::vector<MetricField> metrics;  // json: metrics to read; empty: every numeric top-level field
  std::string metric = "{2}";        // number: metric name template
  std::string unit;                  // number: unit
  std::string readings_field;        // json: dotted path to an array of reading objects
  TimestampSpec timestamp;
  std::string topic;  // Kafka topic override; empty: kafka.topic
  std::vector<std::pair<std::string, std::string>> tags;  // constant tags (templates allowed)
  config::SourceMark mark;
};

// When a QoS 1/2 message is acknowledged to the broker (PUBACK / PUBREC).
enum class AckMode {
  kAfterCommit,  // once its readings are committed to the buffer: nothing acknowledged is lost
  kOnReceive,    // once queued for the next group commit: a crash loses the commit window
};

struct MqttSettings {
  std::string url = "tcp://127.0.0.1:1883";  // tcp:// or ssl://
  std::string client_id;                     // empty: <gateway.id>-<adapter name>
  int qos = 1;
  AckMode ack = AckMode::kAfterCommit;
  int mqtt_version = 4;  // 4 = MQTT 3.1.1, 5 = MQTT 5
  std::string username;
  std::filesystem::path password_file;
  std::string password;  // read from password_file
  std::filesystem::path ca_file, cert_file, key_file;
  nanoseconds keepalive = std::chrono::seconds(30);
  nanoseconds reconnect_min = std::chrono::seconds(1), reconnect_max = std::chrono::seconds(30);
  std::vector<Subscription> subscriptions;
  // Not a key: set by create_adapter to <gateway.data_dir>/<adapter name>.inflight, the
  // PoisonGuard's marker; empty: no guard.
  std::filesystem::path inflight_file;
  // Not a key: the message rate (per second) from which ack: on_receive maps on the adapter's
  // own thread instead of in Paho's callback (mqtt_adapter.hpp). Tests set 0: always.
  std::uint32_t map_thread_from_rate = 5000;
};

// True for an ssl:// url (the only TLS scheme a config accepts); its default port is 8883.
bool is_tls_url(std::string_view url);

// The client id the adapter connects with: client_id, or <gateway.id>-<adapter name>.
std::string effective_client_id(const MqttSettings& settings, const config::AdapterConfig& adapter,
                                const config::Config& config);

// The AdapterSyntax functions of the mqtt type (see config/adapter_syntax.hpp).
std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path);
std::vector<config::DocTable> settings_docs();
std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config);
std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter);

}  // namespace sensorgate::mqtt
