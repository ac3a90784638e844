// RFC 3339 timestamps <-> nanoseconds since the Unix epoch, as used in record values, alerts,
// HTTP bodies and payload fields. Pure functions, no locale, no time zone database.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace sensorgate {

enum class TimeParseError { kMalformed, kOutOfRange };

// "2026-11-22T10:15:30.123Z": UTC, fraction of 3, 6 or 9 digits (the fewest that are exact).
std::string format_rfc3339(std::int64_t ns_since_epoch);

// Appends the same text to `out` without a temporary.
void append_rfc3339(std::string& out, std::int64_t ns_since_epoch);

// The longest text format_rfc3339 makes: "2262-04-11T23:47:16.854775807Z".
inline constexpr std::size_t kRfc3339MaxChars = 30;

// Writes the same text at `out` (kRfc3339MaxChars bytes of room) and returns its end: the hot
// path of record encoding. Keeps the date and time of the last second it wrote per thread, so
// readings of one second cost only their fraction. Thread-safe (the cache is thread_local).
char* write_rfc3339(char* out, std::int64_t ns_since_epoch);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; 't', 'z' and a space for 'T' are
// accepted too. Fractions beyond nanoseconds are truncated. Errors: kMalformed, kOutOfRange for a
// field out of range or an instant that int64 nanoseconds cannot hold (before 1677-09-21 or after
// 2262-04-11).
Result<std::int64_t, TimeParseError> parse_rfc3339(std::string_view text);

}  // namespace sensorgate
