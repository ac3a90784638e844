#include "adapters/adapter_stats.hpp"

namespace sensorgate::adapters {

AdapterStats::AdapterStats(const std::string& component) {
  for (auto& log : logs_) log = std::make_unique<RateLimitedLog>(LogLevel::kWarning, component);
}

void AdapterStats::count_message(std::uint64_t count) {
  messages_.fetch_add(count, std::memory_order_relaxed);
}

void AdapterStats::count_readings(std::uint64_t count) {
  readings_.fetch_add(count, std::memory_order_relaxed);
}

void AdapterStats::reject(RejectReason reason, std::uint64_t count, std::string_view what,
                          std::string_view message) {
  const auto index = static_cast<std::size_t>(reason);
  rejected_[index].fetch_add(count, std::memory_order_relaxed);
  std::string line = "rejected (" + std::string(reject_reason_name(reason)) + ")";
  if (!what.empty()) line += " " + std::string(what);
  logs_[index]->log(line + ": " + std::string(message));
}

AdapterCounters AdapterStats::snapshot() const {
  AdapterCounters out;
  out.messages_received = messages_.load(std::memory_order_relaxed);
  out.readings_received = readings_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    const std::uint64_t count = rejected_[i].load(std::memory_order_relaxed);
    if (count > 0) out.rejected[static_cast<RejectReason>(i)] = count;
  }
  return out;
}

}  // namespace sensorgate::adapters
