// AdapterStats: the counters every adapter keeps (messages, readings, rejects by reason) and the
// log line of each reject, rate-limited per reason, so that an adapter counts and logs a reject
// in one call and counters() is one snapshot. Thread-safe: every method from any thread; the
// counts are relaxed atomics (a snapshot is not one instant across counters, each is exact).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"
#include "core/log.hpp"

namespace sensorgate::adapters {

class AdapterStats {
 public:
  // `component` names the adapter in the log lines, e.g. "mqtt[plant]".
  explicit AdapterStats(const std::string& component);
  AdapterStats(const AdapterStats&) = delete;
  AdapterStats& operator=(const AdapterStats&) = delete;

  // What messages_received counts is the adapter's to say (MQTT messages, HTTP requests,
  // datagrams, Modbus responses).
  void count_message(std::uint64_t count = 1);
  // Readings the sink took.
  void count_readings(std::uint64_t count);
  // Adds `count` to rejected[reason] and logs a warning "rejected (<reason>) <what>: <message>"
  // ("rejected (<reason>): <message>" when `what` is empty); repeats of one reason within 10 s
  // are held back and reported with a count (RateLimitedLog).
  void reject(RejectReason reason, std::uint64_t count, std::string_view what,
              std::string_view message);

  // The counts now; rejected lists only the reasons counted at least once.
  AdapterCounters snapshot() const;

 private:
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> readings_{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasonCount> rejected_{};
  std::array<std::unique_ptr<RateLimitedLog>, kRejectReasonCount> logs_;
};

}  // namespace sensorgate::adapters
