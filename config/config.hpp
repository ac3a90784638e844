// Config: the typed form of the one YAML file (gateway, buffer, kafka, adapters, rules, http),
// with every default applied. Produced by load_config (config/loader.hpp), then read-only and
// shared by every part. Field names follow the YAML keys; see docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/units.hpp"

namespace sensorgate::config {

using std::chrono::nanoseconds;

// Where a value came from in the YAML file (1-based), for messages that point at it.
struct SourceMark {
  int line = 0;
  int column = 0;
};

struct GatewaySection {
  std::string id;  // default: the host name
  std::filesystem::path data_dir = "/var/lib/sensorgate";
  std::string log_level = "info";  // debug | info | warning | error
};

enum class OnFull { kDropOldest, kReject };
enum class Durability { kProcess, kPower };

struct BufferSection {
  Bytes max_bytes = 1_GiB;
  OnFull on_full = OnFull::kDropOldest;
  Durability durability = Durability::kProcess;
  nanoseconds commit_interval = std::chrono::milliseconds(10);
  std::uint32_t commit_max_rows = 5000;  // a group commit happens at this many rows at the latest
  // The database file; default: <gateway.data_dir>/buffer.db.
  std::filesystem::path path;
};

enum class KafkaDelivery { kAtLeastOnce, kExactlyOnce };

struct KafkaSection {
  std::string brokers;  // required: "host:port,host:port"
  std::string topic = "sensors.readings";
  std::string alerts_topic = "sensors.alerts";
  // Passed to librdkafka as is, in file order.
  std::vector<std::pair<std::string, std::string>> properties;
  // librdkafka property -> file holding its value; `secret_values` holds what the files say.
  std::vector<std::pair<std::string, std::filesystem::path>> secrets;
  std::vector<std::pair<std::string, std::string>> secret_values;
  std::uint32_t max_in_flight = 20000;        // rows handed to the producer and not yet reported
  nanoseconds flush_timeout = std::chrono::seconds(10);  // bound of the flush at stop
  nanoseconds unreachable_alert_after = std::chrono::minutes(2);  // kafka_unreachable alert
  KafkaDelivery delivery = KafkaDelivery::kAtLeastOnce;
  std::uint32_t transaction_rows = 10000;  // exactly_once: rows per transaction at most
  nanoseconds transaction_interval = std::chrono::milliseconds(200);  // exactly_once
  std::string progress_topic = "_sensorgate.progress";                // exactly_once
};

enum class PayloadFormat { kJson, kNumber, kLine };

// How a metric is read from a JSON payload.
struct MetricField {
  std::string name;   // metric name (may hold {1}, {2} captures)
  std::string field;  // dotted path into the JSON object, e.g. "sensors.t"
  std::string unit;
};

enum class TimestampUnit { kAuto, kSeconds, kMilliseconds, kMicroseconds, kNanoseconds, kRfc3339 };

struct TimestampSpec {
  std::string field;  // empty: receive time
  TimestampUnit unit = TimestampUnit::kAuto;
};

struct MqttSubscription {
  std::string filter;               // MQTT topic filter with + and #
  int qos = 1;                      // default: the adapter's qos
  std::string device = "{1}";       // template over wildcard captures {1}, {2}, ...
  PayloadFormat payload = PayloadFormat::kJson;
  std::vector<MetricField> metrics; // json: metrics to read; empty: every numeric top-level field
  std::string metric = "{2}";       // number: metric name template
  std::string unit;                 // number: unit
  std::string readings_field;       // json: dotted path to an array of reading objects
  TimestampSpec timestamp;
  std::string topic;                // Kafka topic override; empty: kafka.topic
  std::vector<std::pair<std::string, std::string>> tags;  // constant tags (templates allowed)
  SourceMark mark;
};

struct MqttAdapter {
  std::string url = "tcp://127.0.0.1:1883";  // tcp:// or ssl://
  std::string client_id;                     // default: <gateway.id>-<adapter name>
  int qos = 1;
  int mqtt_version = 4;  // 4 = MQTT 3.1.1, 5 = MQTT 5
  std::string username;
  std::filesystem::path password_file;
  std::string password;  // read from password_file
  std::filesystem::path ca_file, cert_file, key_file;
  nanoseconds keepalive = std::chrono::seconds(30);
  nanoseconds reconnect_min = std::chrono::seconds(1), reconnect_max = std::chrono::seconds(30);
  std::vector<MqttSubscription> subscriptions;
};

enum class RegisterType { kUint16, kInt16, kUint32, kInt32, kFloat32, kBool };
enum class RegisterKind { kHolding, kInput, kCoil, kDiscrete };

struct ModbusRegister {
  std::uint16_t address = 0;
  RegisterKind kind = RegisterKind::kHolding;
  RegisterType type = RegisterType::kUint16;
  std::string order = "abcd";  // word/byte order for 32-bit types: abcd, badc, cdab, dcba
  std::string device, metric, unit;
  double scale = 1.0;
  double offset = 0.0;
  std::string topic;
};

struct ModbusAdapter {
  std::string host = "127.0.0.1";
  std::uint16_t port = 502;
  int unit_id = 1;
  nanoseconds poll = std::chrono::seconds(1);
  nanoseconds timeout = std::chrono::seconds(1);
  std::vector<ModbusRegister> registers;
};

struct HttpAdapter {
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path token_file;  // empty: no token required
  std::string token;
  Bytes max_body = 4_MiB;
  std::string topic;
};

enum class LineFormat { kInfluxLine };

struct UdpAdapter {
  std::string listen = "127.0.0.1:8094";
  LineFormat format = LineFormat::kInfluxLine;
  std::string topic;
};

using AdapterSettings = std::variant<MqttAdapter, ModbusAdapter, HttpAdapter, UdpAdapter>;

struct AdapterConfig {
  std::string name;
  std::string type;  // mqtt | modbus_tcp | http | udp
  AdapterSettings settings;
  SourceMark mark;
};

enum class CompareOp { kGreater, kGreaterEqual, kLess, kLessEqual, kEqual, kNotEqual };

// "value > 8.5"
struct Comparison {
  CompareOp op = CompareOp::kGreater;
  double threshold = 0;
};

struct RateSpec {
  double delta = 0;
  nanoseconds per = std::chrono::minutes(1);
};

struct WindowSpec {
  double value = 0;
  nanoseconds window = std::chrono::minutes(5);
};

enum class RuleKind { kThreshold, kRateAbove, kRateBelow, kAvgAbove, kAvgBelow, kMinBelow,
                      kMaxAbove, kAbsent };

struct RuleConfig {
  std::string name;
  std::string match_device = "*";  // glob
  std::string match_metric = "*";  // glob
  RuleKind kind = RuleKind::kThreshold;
  Comparison when;                  // threshold
  std::optional<Comparison> clear;  // threshold hysteresis; default: `when` no longer holds
  nanoseconds hold_for{0};          // `for:`
  RateSpec rate;                    // rate_above / rate_below
  WindowSpec window;                // avg_above, avg_below, min_below, max_above
  nanoseconds absent_for{0};        // absent_for
  std::string severity = "warning"; // info | warning | critical
  std::string mqtt;                 // local topic template ({device}, {metric}, {rule}); empty: none
  std::string message;              // optional text template
  SourceMark mark;
};

struct HttpSection {
  std::string listen;  // empty: no metrics/status endpoint
};

struct Config {
  std::filesystem::path source;  // the file it was loaded from
  GatewaySection gateway;
  BufferSection buffer;
  KafkaSection kafka;
  std::vector<AdapterConfig> adapters;
  std::vector<RuleConfig> rules;
  HttpSection http;
};

}  // namespace sensorgate::config
