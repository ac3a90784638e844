// Epoch timestamps in payloads (seconds, milliseconds, microseconds or nanoseconds, or RFC 3339
// text) converted to nanoseconds since the Unix epoch. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "adapters/adapter.hpp"
#include "core/result.hpp"

namespace sensorgate::formats {

// How a timestamp in a payload is written: epoch seconds, ms, us or ns, or RFC 3339 text; kAuto
// guesses (see below).
enum class TimestampUnit { kAuto, kSeconds, kMilliseconds, kMicroseconds, kNanoseconds, kRfc3339 };

// The unit kAuto picks for an epoch number, by magnitude: below 1e11 seconds (up to the year
// 5138), below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
TimestampUnit guess_epoch_unit(double magnitude);

// `value` in `unit` (kAuto: guessed as above) as ns since the epoch. Errors (kBadTimestamp):
// negative, not finite, beyond the year 2262 (int64 ns), or unit kRfc3339 (a number is not text).
Result<std::int64_t, adapters::RejectReason> epoch_to_ns(std::int64_t value, TimestampUnit unit);
Result<std::int64_t, adapters::RejectReason> epoch_to_ns(double value, TimestampUnit unit);

// A timestamp given as text: RFC 3339 for kRfc3339; for kAuto RFC 3339 or else a decimal epoch
// number; for an explicit epoch unit a decimal number in that unit. Error: kBadTimestamp.
Result<std::int64_t, adapters::RejectReason> text_to_ns(std::string_view text, TimestampUnit unit);

}  // namespace sensorgate::formats
