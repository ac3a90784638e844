#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "core/clock.hpp"
#include "core/time_format.hpp"

namespace sensorgate {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_write_mutex;

const bool g_under_journald = std::getenv("JOURNAL_STREAM") != nullptr;

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

// syslog priorities: 7 debug, 6 info, 4 warning, 3 error.
char syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return '7';
    case LogLevel::kInfo:
      return '6';
    case LogLevel::kWarning:
      return '4';
    case LogLevel::kError:
      return '3';
  }
  return '6';
}

}  // namespace

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(); }

void log(LogLevel level, std::string_view component, std::string_view message) {
  if (level < g_level.load()) return;
  std::string line;
  line.reserve(48 + component.size() + message.size());
  if (g_under_journald) {
    line += '<';
    line += syslog_priority(level);
    line += '>';
  } else {
    append_rfc3339(line, SystemClock().now_ns());
    line += ' ';
  }
  line += level_name(level);
  line += ' ';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void RateLimitedLog::log(std::string_view message) {
  std::uint64_t held_back = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now < next_allowed_) {
      ++suppressed_;
      return;
    }
    next_allowed_ = now + interval_;
    held_back = suppressed_;
    suppressed_ = 0;
  }
  if (held_back == 0) {
    sensorgate::log(level_, component_, message);
  } else {
    sensorgate::log(level_, component_,
                    std::string(message) + " (" + std::to_string(held_back) +
                        " similar suppressed)");
  }
}

}  // namespace sensorgate
