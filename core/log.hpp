// Logging to stderr, one line per event: level, component (e.g. "mqtt[plant-mqtt]") and
// message. Under systemd (JOURNAL_STREAM names stderr) lines carry a <N> syslog priority prefix
// and no time of their own, so journald records the level; elsewhere they start with an RFC 3339
// time (core/log_line.hpp). The style is decided once, at the first line. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/repeat_limiter.hpp"

namespace sensorgate {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Lines below `level` are discarded. Default: kInfo.
void set_log_level(LogLevel level);
LogLevel log_level();

void log(LogLevel level, std::string_view component, std::string_view message);
inline void log_debug(std::string_view component, std::string_view message) {
  log(LogLevel::kDebug, component, message);
}
inline void log_info(std::string_view component, std::string_view message) {
  log(LogLevel::kInfo, component, message);
}
inline void log_warning(std::string_view component, std::string_view message) {
  log(LogLevel::kWarning, component, message);
}
inline void log_error(std::string_view component, std::string_view message) {
  log(LogLevel::kError, component, message);
}

// Logs one line per `interval` at most (core/repeat_limiter.hpp); what it held back is counted
// and reported with the next line that passes ("... (repeated 312 times in 10 s)"), or, when no
// line passes any more, by flush() or the destructor, with the last message held back. One
// instance per kind of event (e.g. per adapter and reject reason). Thread-safe.
class RateLimitedLog {
 public:
  RateLimitedLog(LogLevel level, std::string component,
                 std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : level_(level), component_(std::move(component)), limiter_(interval) {}
  ~RateLimitedLog();
  RateLimitedLog(const RateLimitedLog&) = delete;
  RateLimitedLog& operator=(const RateLimitedLog&) = delete;

  void log(std::string_view message);
  // Logs the last message held back with its count, if any was held back since the last line.
  void flush();

 private:
  const LogLevel level_;
  const std::string component_;
  std::mutex mutex_;
  RepeatLimiter limiter_;
  std::string last_held_back_;
};

}  // namespace sensorgate
