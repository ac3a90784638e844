// Clock: the one source of "now" for rules, backoff and receive timestamps, injected so tests
// advance time by hand instead of sleeping. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sensorgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in nanoseconds since the Unix epoch.
  virtual std::int64_t now_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ns = 0) : now_ns_(start_ns) {}
  std::int64_t now_ns() const override { return now_ns_.load(); }
  void set(std::int64_t ns) { now_ns_.store(ns); }
  void advance(std::chrono::nanoseconds by) { now_ns_.fetch_add(by.count()); }

 private:
  std::atomic<std::int64_t> now_ns_;
};

}  // namespace sensorgate
