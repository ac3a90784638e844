// HealthWatch: the gateway's own alerts, judged on a periodic sample of its state:
//   buffer_full        (critical) readings were dropped or refused at buffer.max_bytes; resolves
//                      once pending bytes are back under 90% of the cap.
//   kafka_unreachable  (warning) Kafka has been unreachable for kafka.unreachable_alert_after;
//                      resolves when it answers again.
//   adapter_down       (warning) an adapter has been down for adapter_down_after; one series
//                      per adapter (metric = adapter name); resolves when it is up.
//   buffer_corrupt     (critical) a buffer file was moved aside as damaged or beside a foreign
//                      WAL (buffer/quarantine.hpp), at start or at run time; one series per
//                      quarantined file (metric = its file name); resolves once the operator
//                      has moved or deleted that file.
// Events carry device = gateway id. Not thread-safe: the daemon's main loop calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "buffer/quarantine.hpp"
#include "core/clock.hpp"
#include "gateway/rules/alert.hpp"
#include "gateway/rules/engine.hpp"

namespace sensorgate::gateway {

struct HealthSample {
  std::uint64_t pending_bytes = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t dropped_total = 0;  // rows dropped by drop_oldest, ever
  std::uint64_t refused_total = 0;  // appends refused by reject, ever
  bool kafka_up = true;
  std::int64_t kafka_down_since_ns = 0;
  std::map<std::string, bool> adapters_up;  // adapter name -> up
  // Quarantined buffer files still on disk: buffer::list_quarantined(buffer.path).
  std::vector<buffer::QuarantineNote> quarantined;
};

class HealthWatch {
 public:
  HealthWatch(std::string gateway_id, std::chrono::nanoseconds kafka_unreachable_after,
              std::chrono::nanoseconds adapter_down_after, const Clock& clock);

  // Restores firing state from before a restart; keys of other rules are ignored.
  void restore_firing(const std::vector<rules::FiringKey>& keys);

  // Compares with the previous sample; returns the transitions.
  std::vector<rules::AlertEvent> check(const HealthSample& sample);

  static constexpr const char* kBufferFull = "buffer_full";
  static constexpr const char* kKafkaUnreachable = "kafka_unreachable";
  static constexpr const char* kAdapterDown = "adapter_down";
  static constexpr const char* kBufferCorrupt = "buffer_corrupt";

 private:
  void check_quarantined(const HealthSample& sample, std::vector<rules::AlertEvent>& events);
  rules::AlertEvent event(const char* rule, const std::string& metric, const char* severity,
                          bool firing, double value, double threshold, std::string message);

  const std::string gateway_id_;
  const std::chrono::nanoseconds kafka_unreachable_after_;
  const std::chrono::nanoseconds adapter_down_after_;
  const Clock& clock_;

  bool first_sample_ = true;
  std::uint64_t last_dropped_ = 0;
  std::uint64_t last_refused_ = 0;
  std::set<std::pair<std::string, std::string>> firing_;  // (rule, metric)
  std::map<std::string, std::int64_t> adapter_down_since_ns_;
};

}  // namespace sensorgate::gateway
