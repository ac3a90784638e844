// History: what the status endpoint remembers between requests, from a sample taken about once a
// second: each adapter's readings over the last minute (readings_per_s), and over the last ten
// minutes the pending count (the status page's chart) and the rejects by reason. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/status/snapshot.hpp"

namespace sensorgate::status {

struct PendingPoint {
  std::int64_t ts_ns = 0;  // wall clock
  std::uint64_t pending = 0;
};

class History {
 public:
  static constexpr std::chrono::seconds kRateWindow{60};
  static constexpr std::chrono::seconds kPendingEvery{10};
  static constexpr std::size_t kPendingPoints = 60;  // ten minutes

  // `now` (steady) orders the samples; `now_ns` (wall clock) labels the pending points.
  void sample(std::chrono::steady_clock::time_point now, std::int64_t now_ns,
              const GatewaySnapshot& snapshot, std::uint64_t pending);

  // Adapter name -> readings per second over the last minute (over what was sampled, if less);
  // 0 before two samples.
  std::map<std::string, double> readings_per_s() const;
  // Oldest first.
  std::vector<PendingPoint> pending() const;
  // Adapter name -> reason -> rejects within the last ten minutes (since the oldest pending
  // point); reasons with none are left out.
  std::map<std::string, std::map<adapters::RejectReason, std::uint64_t>> recent_rejects(
      const GatewaySnapshot& now) const;

 private:
  using Count = std::pair<std::chrono::steady_clock::time_point, std::uint64_t>;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Count>> readings_;
  std::deque<PendingPoint> pending_;
  // The rejects of each adapter when the oldest pending point was taken, and at each later one.
  std::deque<std::map<std::string, std::map<adapters::RejectReason, std::uint64_t>>> rejects_;
  std::chrono::steady_clock::time_point last_pending_{};
};

}  // namespace sensorgate::status
