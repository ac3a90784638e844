#include "core/time_format.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <iterator>
#include <string>
#include <thread>

using namespace sensorgate;

TEST_CASE("timestamps format as RFC 3339 UTC with the fewest exact fraction digits") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(1'795'000'000'123'000'000) == "2026-11-18T11:06:40.123Z");
  CHECK(format_rfc3339(1'795'000'000'123'456'000) == "2026-11-18T11:06:40.123456Z");
  CHECK(format_rfc3339(1'795'000'000'123'456'789) == "2026-11-18T11:06:40.123456789Z");
  CHECK(format_rfc3339(-1'000'000) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("the ends of the nanosecond range format and parse back") {
  CHECK(format_rfc3339(INT64_MAX) == "2262-04-11T23:47:16.854775807Z");
  CHECK(format_rfc3339(INT64_MIN) == "1677-09-21T00:12:43.145224192Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(format_rfc3339(951'782'400'000'000'000) == "2000-02-29T00:00:00.000Z");
  // Every formatted value parses back to itself, across the range.
  for (std::uint64_t step = 0; step < 1000; ++step) {
    // From INT64_MIN upwards in 1000 steps (unsigned: wraps instead of overflowing; C++20
    // converts back modulo 2^64).
    const auto value = static_cast<std::int64_t>(static_cast<std::uint64_t>(INT64_MIN) +
                                                 step * (UINT64_MAX / 1000) + step * 7'919);
    INFO(value);
    CHECK(parse_rfc3339(format_rfc3339(value)).value() == value);
  }
}

TEST_CASE("RFC 3339 timestamps parse with fractions and offsets") {
  CHECK(parse_rfc3339("2026-11-18T11:06:40.123Z").value() == 1'795'000'000'123'000'000);
  CHECK(parse_rfc3339("2026-11-18T12:06:40.123+01:00").value() == 1'795'000'000'123'000'000);
  CHECK(parse_rfc3339("2026-11-18t11:06:40z").value() == 1'795'000'000'000'000'000);
  CHECK(parse_rfc3339("2026-11-18 11:06:40.123456789123Z").value() == 1'795'000'000'123'456'789);
  CHECK(parse_rfc3339("2000-02-29T00:00:00Z").value() == 951'782'400'000'000'000);
}

TEST_CASE("malformed timestamps are rejected with the text and an example") {
  auto bad = parse_rfc3339("yesterday");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "'yesterday' is not an RFC 3339 timestamp (e.g. 2026-11-22T10:15:30.5Z)");
  CHECK(parse_rfc3339("2026-11-18T11:06:40").error().code == TimeParseError::kMalformed);
  CHECK(parse_rfc3339("2026-13-18T11:06:40Z").error().code == TimeParseError::kOutOfRange);
  CHECK(parse_rfc3339("2026-11-18T11:06:40.Z").error().code == TimeParseError::kMalformed);
  CHECK(parse_rfc3339("2026-11-18T11:06:40Zjunk").error().code == TimeParseError::kMalformed);
}

TEST_CASE("formatting then parsing gives back the same instant") {
  for (std::int64_t ns : {0LL, 1LL, 999'999'999LL, 1'795'000'000'000'000'001LL, -123'456'789LL}) {
    CHECK(parse_rfc3339(format_rfc3339(ns)).value() == ns);
  }
}

// Found by tests/fuzz/time_parse_fuzz (regressions/time_parse/): 9999-12-31 overflowed int64.
TEST_CASE("RFC 3339 instants beyond int64 nanoseconds are out of range, not an overflow") {
  auto far = parse_rfc3339("9999-12-31T23:59:59Z");
  REQUIRE_FALSE(far.ok());
  CHECK(far.error().code == TimeParseError::kOutOfRange);
  CHECK(far.error().message == "'9999-12-31T23:59:59Z' is outside the years 1677 to 2262");
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z").error().code == TimeParseError::kOutOfRange);
  CHECK(parse_rfc3339("2262-04-11T23:47:16.854775807Z").value() == INT64_MAX);
  CHECK(parse_rfc3339("2262-04-11T23:47:16.854775808Z").error().code ==
        TimeParseError::kOutOfRange);
  CHECK(parse_rfc3339("1677-09-21T00:12:43.145224192Z").value() == INT64_MIN);
}

TEST_CASE("timestamps written in runs of one second and across seconds keep their own date") {
  // write_rfc3339 keeps the last second it wrote: alternating seconds, days and years must
  // each come out whole, as format_rfc3339 of a fresh thread would.
  const std::int64_t instants[] = {1'795'000'000'123'000'000,
                                   1'795'000'000'999'999'999,
                                   1'795'000'001'000'000'000,
                                   1'795'000'000'000'000'001,
                                   -1,
                                   0,
                                   86'400'000'000'000,
                                   1'795'000'000'500'000'000};
  const char* expected[] = {"2026-11-18T11:06:40.123Z",       "2026-11-18T11:06:40.999999999Z",
                            "2026-11-18T11:06:41.000Z",       "2026-11-18T11:06:40.000000001Z",
                            "1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00.000Z",
                            "1970-01-02T00:00:00.000Z",       "2026-11-18T11:06:40.500Z"};
  for (std::size_t i = 0; i < std::size(instants); ++i) {
    char text[kRfc3339MaxChars];
    CHECK(std::string(text, write_rfc3339(text, instants[i])) == expected[i]);
  }
  std::string other_thread;
  std::thread([&] { other_thread = format_rfc3339(instants[2]); }).join();
  CHECK(other_thread == expected[2]);
  CHECK(format_rfc3339(instants[0]) == expected[0]);
}
