// RepeatLimiter: decides which events of a repeated kind are reported, so that a flood (a bad
// payload arriving 40 000 times a second, a broker down) becomes one line per interval with a
// count: "... (repeated 312 times in 60 s)". The first event passes; the following ones within
// `interval` of the last passed one are held back and counted; the first one after that passes
// and carries the count and the time since the last passed event. flush() hands over what is
// still held back (for a last line when the component stops).
//
// Pure: the caller passes the time, so tests need no sleeps. Not thread-safe; RateLimitedLog
// (core/log.hpp) adds the lock and the logging.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sensorgate {

class RepeatLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // What a passing event reports about the ones held back before it.
  struct Pass {
    std::uint64_t repeated = 0;  // events held back since the previous passed one
    Clock::duration over{};      // from the previous passed event to this one
  };

  explicit RepeatLimiter(Clock::duration interval) : interval_(interval) {}

  // An event at `now`: nullopt when it is held back (and counted), else the Pass to report.
  std::optional<Pass> admit(Clock::time_point now);

  // The events held back since the last passed one, and resets the count; nullopt when none.
  std::optional<Pass> flush(Clock::time_point now);

 private:
  const Clock::duration interval_;
  bool passed_any_ = false;
  Clock::time_point last_passed_{};
  std::uint64_t held_back_ = 0;
};

// "message (repeated 312 times in 60 s)", or the message alone when nothing was held back.
// Spans below 10 s keep one decimal ("in 2.5 s").
std::string with_repeat_count(std::string_view message, const RepeatLimiter::Pass& pass);

}  // namespace sensorgate
