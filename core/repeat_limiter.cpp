#include "core/repeat_limiter.hpp"

#include <cstdio>

namespace sensorgate {

std::optional<RepeatLimiter::Pass> RepeatLimiter::admit(Clock::time_point now) {
  if (passed_any_ && now < last_passed_ + interval_) {
    ++held_back_;
    return std::nullopt;
  }
  Pass pass{held_back_, passed_any_ ? now - last_passed_ : Clock::duration::zero()};
  passed_any_ = true;
  last_passed_ = now;
  held_back_ = 0;
  return pass;
}

std::optional<RepeatLimiter::Pass> RepeatLimiter::flush(Clock::time_point now) {
  if (held_back_ == 0) return std::nullopt;
  Pass pass{held_back_, now - last_passed_};
  held_back_ = 0;
  return pass;
}

std::string with_repeat_count(std::string_view message, const RepeatLimiter::Pass& pass) {
  std::string text(message);
  if (pass.repeated == 0) return text;
  const double seconds = std::chrono::duration<double>(pass.over).count();
  char span[32];
  std::snprintf(span, sizeof span, seconds < 10 ? "%.1f" : "%.0f", seconds);
  text += " (repeated " + std::to_string(pass.repeated) +
          (pass.repeated == 1 ? " time in " : " times in ") + span + " s)";
  return text;
}

}  // namespace sensorgate
