// FUZZ_CHECK: the invariants a fuzz target asserts beyond "does not crash". A broken invariant
// prints what broke and aborts, which libFuzzer reports as a crash (and saves the input) and the
// regression runner reports as a failed test. Header-only; used by tests/fuzz/*_fuzz.cpp only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/reading.hpp"
#include "core/utf8.hpp"

#define FUZZ_CHECK(condition, what)                                                             \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s (%s)\n", __FILE__, __LINE__, what, \
                   #condition);                                                                 \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

namespace sensorgate::fuzz {

// Every text of `reading` is valid UTF-8 (it ends up in a JSON record value), device and metric
// are not empty, and a number is finite (JSON has no NaN).
inline void check_reading(const Reading& reading) {
  FUZZ_CHECK(!reading.device.empty(), "a reading has an empty device");
  FUZZ_CHECK(!reading.metric.empty(), "a reading has an empty metric");
  FUZZ_CHECK(is_valid_utf8(reading.device), "device is not valid UTF-8");
  FUZZ_CHECK(is_valid_utf8(reading.metric), "metric is not valid UTF-8");
  FUZZ_CHECK(is_valid_utf8(reading.unit), "unit is not valid UTF-8");
  FUZZ_CHECK(is_valid_utf8(reading.topic), "topic is not valid UTF-8");
  for (const auto& [key, value] : reading.tags) {
    FUZZ_CHECK(is_valid_utf8(key) && is_valid_utf8(value), "a tag is not valid UTF-8");
  }
  if (const auto* text = std::get_if<std::string>(&reading.value)) {
    FUZZ_CHECK(is_valid_utf8(*text), "a string value is not valid UTF-8");
  }
  if (const auto* number = std::get_if<double>(&reading.value)) {
    FUZZ_CHECK(*number - *number == 0.0, "a number value is not finite");
  }
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace sensorgate::fuzz
