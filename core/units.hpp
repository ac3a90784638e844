// Durations and byte sizes as config files and operators write them ("500ms", "2m", "512KiB",
// "1GiB"), and their human renderings for tables ("12.3 MiB", "3h12m"). Pure functions.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace sensorgate {

// A size in bytes; the unit lives in the type inside the code and in key names at boundaries.
struct Bytes {
  std::uint64_t count = 0;
  friend auto operator<=>(Bytes, Bytes) = default;
};

constexpr Bytes operator""_KiB(unsigned long long n) { return Bytes{n << 10}; }
constexpr Bytes operator""_MiB(unsigned long long n) { return Bytes{n << 20}; }
constexpr Bytes operator""_GiB(unsigned long long n) { return Bytes{n << 30}; }

enum class UnitParseError { kEmpty, kNotANumber, kUnknownUnit, kOutOfRange };

// Parses "<number><unit>" with units ns, us, ms, s, m, h, d; the number may carry a fraction
// ("1.5s"). A bare number is rejected: a duration always names its unit.
Result<std::chrono::nanoseconds, UnitParseError> parse_duration(std::string_view text);

// Parses "<number>[unit]" with units B, KiB, MiB, GiB, TiB (powers of 1024) and KB, MB, GB, TB
// (powers of 1000); a bare whole number is bytes.
Result<Bytes, UnitParseError> parse_size(std::string_view text);

// "12.3 MiB", "512 B", "1.0 GiB".
std::string format_bytes(Bytes size);

// Compact age for tables: "45s", "3m05s", "3h12m", "2d04h".
std::string format_age(std::chrono::seconds age);

// Shortest exact config spelling of a duration: "10ms", "2m", "1500us".
std::string format_duration(std::chrono::nanoseconds duration);

// Shortest exact config spelling of a size: "1GiB", "512KiB", "1000B".
std::string format_size(Bytes size);

}  // namespace sensorgate
