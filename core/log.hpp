// Logging to stderr, one line per event: level, component (e.g. "mqtt[plant-mqtt]") and
// message. Under systemd (JOURNAL_STREAM set) lines carry a <N> syslog priority prefix so
// journald records the level; elsewhere they start with an RFC 3339 time. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

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

// Logs one line per `interval` at most; what it held back is counted and reported with the
// next line that passes ("... (1234 similar suppressed)"). One instance per kind of event
// (e.g. per adapter and reject reason). Thread-safe.
class RateLimitedLog {
 public:
  RateLimitedLog(LogLevel level, std::string component,
                 std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : level_(level), component_(std::move(component)), interval_(interval) {}

  void log(std::string_view message);

 private:
  const LogLevel level_;
  const std::string component_;
  const std::chrono::steady_clock::duration interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_allowed_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace sensorgate
