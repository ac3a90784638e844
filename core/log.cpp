#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "core/clock.hpp"
#include "core/log_line.hpp"

namespace sensorgate {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_write_mutex;

LogStyle style() {
  static const LogStyle style = detect_log_style(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  return style;
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level.store(level);
}
LogLevel log_level() {
  return g_level.load();
}

void log(LogLevel level, std::string_view component, std::string_view message) {
  if (level < g_level.load()) return;
  const std::string line =
      format_log_line(style(), level, component, message, SystemClock().now_ns());
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

RateLimitedLog::~RateLimitedLog() {
  flush();
}

void RateLimitedLog::log(std::string_view message) {
  std::optional<RepeatLimiter::Pass> pass;
  {
    std::lock_guard lock(mutex_);
    pass = limiter_.admit(std::chrono::steady_clock::now());
    if (!pass) {
      last_held_back_.assign(message);
      return;
    }
  }
  sensorgate::log(level_, component_, with_repeat_count(message, *pass));
}

void RateLimitedLog::flush() {
  std::optional<RepeatLimiter::Pass> pass;
  std::string message;
  {
    std::lock_guard lock(mutex_);
    pass = limiter_.flush(std::chrono::steady_clock::now());
    if (!pass) return;
    message.swap(last_held_back_);
  }
  sensorgate::log(level_, component_, with_repeat_count(message, *pass));
}

}  // namespace sensorgate
