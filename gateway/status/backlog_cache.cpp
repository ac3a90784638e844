#include "gateway/status/backlog_cache.hpp"

namespace sensorgate::status {

BacklogCache::BacklogCache(buffer::Buffer& buffer, std::chrono::steady_clock::duration max_age)
    : buffer_(buffer), max_age_(max_age) {}

BacklogEntry BacklogCache::get() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (read_at_ != std::chrono::steady_clock::time_point{} && now - read_at_ < max_age_) {
    return entry_;
  }
  read_at_ = now;
  auto stats = buffer_.stats();
  if (!stats.ok()) {
    entry_.error = stats.error().message;
    return entry_;
  }
  entry_.stats = std::move(stats).value();
  entry_.stats.by_topic.clear();
  entry_.stats.by_device.clear();
  entry_.read = true;
  entry_.error.clear();
  return entry_;
}

}  // namespace sensorgate::status
