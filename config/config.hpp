// Config: the typed form of the one YAML file (gateway, buffer, kafka, adapters, rules, http),
// with every default applied. Produced by load_config (config/loader.hpp), then read-only and
// shared by every part. Field names follow the YAML keys; see docs/configuration.md.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
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
  std::uint32_t max_in_flight = 20000;  // rows handed to the producer and not yet reported
  nanoseconds flush_timeout = std::chrono::seconds(10);           // bound of the flush at stop
  nanoseconds unreachable_alert_after = std::chrono::minutes(2);  // kafka_unreachable alert
  KafkaDelivery delivery = KafkaDelivery::kAtLeastOnce;
  std::uint32_t transaction_rows = 10000;  // exactly_once: rows per transaction at most
  nanoseconds transaction_interval = std::chrono::milliseconds(200);  // exactly_once
  std::string progress_topic = "_sensorgate.progress";                // exactly_once
};

struct AdapterSyntax;  // config/adapter_syntax.hpp

struct AdapterConfig {
  std::string name;
  std::string type;  // a name from the table of adapter types (adapters/adapter_types.hpp)
  // The type's own settings, as its AdapterSyntax::parse returned them (config::settings_of).
  std::any settings;
  // The row of the adapter type table that parsed this adapter; the table outlives every config.
  const AdapterSyntax* syntax = nullptr;
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

enum class RuleKind {
  kThreshold,
  kRateAbove,
  kRateBelow,
  kAvgAbove,
  kAvgBelow,
  kMinBelow,
  kMaxAbove,
  kAbsent
};

struct RuleConfig {
  std::string name;
  std::string match_device = "*";  // glob
  std::string match_metric = "*";  // glob
  RuleKind kind = RuleKind::kThreshold;
  Comparison when;                   // threshold
  std::optional<Comparison> clear;   // threshold hysteresis; default: `when` no longer holds
  nanoseconds hold_for{0};           // `for:`
  RateSpec rate;                     // rate_above / rate_below
  WindowSpec window;                 // avg_above, avg_below, min_below, max_above
  nanoseconds absent_for{0};         // absent_for
  std::string severity = "warning";  // info | warning | critical
  std::string mqtt;     // local topic template ({device}, {metric}, {rule}); empty: none
  std::string message;  // optional text template
  SourceMark mark;
};

// The metrics and status endpoint (gateway/status/).
struct HttpSection {
  std::string listen = "127.0.0.1:9464";
  std::filesystem::path token_file;  // empty: no token required (loopback listen only)
  std::string token;                 // read from token_file
};

struct Config {
  std::filesystem::path source;  // the file it was loaded from
  GatewaySection gateway;
  BufferSection buffer;
  KafkaSection kafka;
  std::vector<AdapterConfig> adapters;
  std::vector<RuleConfig> rules;
  HttpSection http;
  // Where each key was written, by key path ("kafka.properties.linger.ms"), so that checks made
  // after loading can point at it.
  std::map<std::string, SourceMark> marks;
  // Where a key path was written; {0, 0} (the whole file) if nowhere.
  SourceMark mark_of(const std::string& key_path) const {
    const auto found = marks.find(key_path);
    return found == marks.end() ? SourceMark{} : found->second;
  }
};

}  // namespace sensorgate::config
