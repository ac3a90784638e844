#include "adapters/formats/epoch_time.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "core/time_format.hpp"

namespace sensorgate::formats {
namespace {

using adapters::RejectReason;

Error<RejectReason> bad_timestamp(std::string message) {
  return make_error(RejectReason::kBadTimestamp, std::move(message));
}

// Nanoseconds per unit; 0 for kRfc3339 (not a number unit). kAuto is resolved before.
std::int64_t ns_per(TimestampUnit unit) {
  switch (unit) {
    case TimestampUnit::kSeconds:
      return 1'000'000'000;
    case TimestampUnit::kMilliseconds:
      return 1'000'000;
    case TimestampUnit::kMicroseconds:
      return 1'000;
    case TimestampUnit::kNanoseconds:
      return 1;
    case TimestampUnit::kAuto:
    case TimestampUnit::kRfc3339:
      return 0;
  }
  return 0;
}

}  // namespace

TimestampUnit guess_epoch_unit(double magnitude) {
  if (magnitude < 1e11) return TimestampUnit::kSeconds;
  if (magnitude < 1e14) return TimestampUnit::kMilliseconds;
  if (magnitude < 1e17) return TimestampUnit::kMicroseconds;
  return TimestampUnit::kNanoseconds;
}

Result<std::int64_t, RejectReason> epoch_to_ns(std::int64_t value, TimestampUnit unit) {
  if (value < 0) return bad_timestamp("epoch timestamp " + std::to_string(value) + " is negative");
  if (unit == TimestampUnit::kAuto) unit = guess_epoch_unit(static_cast<double>(value));
  const std::int64_t factor = ns_per(unit);
  if (factor == 0) return bad_timestamp("a number where RFC 3339 text was expected");
  if (value > std::numeric_limits<std::int64_t>::max() / factor) {
    return bad_timestamp("epoch timestamp " + std::to_string(value) + " is beyond the year 2262");
  }
  return value * factor;
}

Result<std::int64_t, RejectReason> epoch_to_ns(double value, TimestampUnit unit) {
  if (!std::isfinite(value)) return bad_timestamp("epoch timestamp is not a finite number");
  if (value < 0) return bad_timestamp("epoch timestamp " + std::to_string(value) + " is negative");
  if (unit == TimestampUnit::kAuto) unit = guess_epoch_unit(value);
  const std::int64_t factor = ns_per(unit);
  if (factor == 0) return bad_timestamp("a number where RFC 3339 text was expected");
  const double ns = value * static_cast<double>(factor);
  // 2^63 is exactly representable; anything at or above it does not fit.
  if (ns >= 9223372036854775808.0) {
    return bad_timestamp("epoch timestamp " + std::to_string(value) + " is beyond the year 2262");
  }
  return static_cast<std::int64_t>(std::llround(ns));
}

Result<std::int64_t, RejectReason> text_to_ns(std::string_view text, TimestampUnit unit) {
  if (unit == TimestampUnit::kRfc3339 || unit == TimestampUnit::kAuto) {
    auto parsed = parse_rfc3339(text);
    if (parsed.ok()) return *parsed;
    if (unit == TimestampUnit::kRfc3339) {
      return bad_timestamp("\"" + std::string(text) + "\" is not an RFC 3339 timestamp");
    }
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  std::int64_t whole = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, whole); ec == std::errc() && ptr == end) {
    return epoch_to_ns(whole, unit);
  }
  double real = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, real); ec == std::errc() && ptr == end) {
    return epoch_to_ns(real, unit);
  }
  return bad_timestamp("\"" + std::string(text) + "\" is neither RFC 3339 nor an epoch number");
}

}  // namespace sensorgate::formats
