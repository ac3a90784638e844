#include "gateway/status/history.hpp"

namespace sensorgate::status {

void History::sample(std::chrono::steady_clock::time_point now, std::int64_t now_ns,
                     const GatewaySnapshot& snapshot, std::uint64_t pending) {
  std::lock_guard lock(mutex_);
  for (const AdapterSnapshot& adapter : snapshot.adapters) {
    auto& counts = readings_[adapter.name];
    counts.emplace_back(now, adapter.counters.readings_received);
    // Keep one sample at or before the window's start, so the rate spans the whole minute.
    while (counts.size() > 2 && now - counts[1].first >= kRateWindow) counts.pop_front();
  }
  if (pending_.empty() || now - last_pending_ >= kPendingEvery) {
    pending_.push_back({now_ns, pending});
    auto& rejects = rejects_.emplace_back();
    for (const AdapterSnapshot& adapter : snapshot.adapters) {
      rejects[adapter.name] = adapter.counters.rejected;
    }
    last_pending_ = now;
    if (pending_.size() > kPendingPoints) {
      pending_.pop_front();
      rejects_.pop_front();
    }
  }
}

std::map<std::string, double> History::readings_per_s() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, double> rates;
  for (const auto& [name, counts] : readings_) {
    double rate = 0;
    if (counts.size() >= 2) {
      const std::chrono::duration<double> span = counts.back().first - counts.front().first;
      const auto readings = static_cast<double>(counts.back().second - counts.front().second);
      if (span.count() > 0) rate = readings / span.count();
    }
    rates[name] = rate;
  }
  return rates;
}

std::vector<PendingPoint> History::pending() const {
  std::lock_guard lock(mutex_);
  return {pending_.begin(), pending_.end()};
}

std::map<std::string, std::map<adapters::RejectReason, std::uint64_t>> History::recent_rejects(
    const GatewaySnapshot& now) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::map<adapters::RejectReason, std::uint64_t>> recent;
  for (const AdapterSnapshot& adapter : now.adapters) {
    const std::map<adapters::RejectReason, std::uint64_t>* before = nullptr;
    if (!rejects_.empty()) {
      const auto found = rejects_.front().find(adapter.name);
      if (found != rejects_.front().end()) before = &found->second;
    }
    for (const auto& [reason, count] : adapter.counters.rejected) {
      std::uint64_t earlier = 0;
      if (before != nullptr) {
        const auto at = before->find(reason);
        if (at != before->end()) earlier = at->second;
      }
      if (count > earlier) recent[adapter.name][reason] = count - earlier;
    }
  }
  return recent;
}

}  // namespace sensorgate::status
