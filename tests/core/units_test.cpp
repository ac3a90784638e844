#include "core/units.hpp"

#include <catch2/catch.hpp>

using namespace sensorgate;
using namespace std::chrono_literals;

TEST_CASE("durations parse with every unit and with fractions") {
  CHECK(parse_duration("500ms").value() == 500ms);
  CHECK(parse_duration("10s").value() == 10s);
  CHECK(parse_duration("2m").value() == 2min);
  CHECK(parse_duration("1h").value() == 1h);
  CHECK(parse_duration("1d").value() == 24h);
  CHECK(parse_duration("250us").value() == 250us);
  CHECK(parse_duration("7ns").value() == 7ns);
  CHECK(parse_duration("1.5s").value() == 1500ms);
  CHECK(parse_duration(" 3 m ").value() == 3min);
}

TEST_CASE("a duration without a unit or with an unknown unit is rejected with the units listed") {
  auto bare = parse_duration("10");
  REQUIRE_FALSE(bare.ok());
  CHECK(bare.error().code == UnitParseError::kUnknownUnit);
  CHECK(bare.error().message ==
        "'10' has no unit; write e.g. 500ms, 10s, 2m (units: ns, us, ms, s, m, h, d)");
  auto unknown = parse_duration("10 parsecs");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "unknown duration unit 'parsecs' (units: ns, us, ms, s, m, h, d)");
  CHECK(parse_duration("").error().code == UnitParseError::kEmpty);
  CHECK(parse_duration("fast").error().code == UnitParseError::kNotANumber);
  CHECK(parse_duration("-5s").error().code == UnitParseError::kNotANumber);
  CHECK(parse_duration("999999999999d").error().code == UnitParseError::kOutOfRange);
}

TEST_CASE("sizes parse in binary and decimal units and as bare bytes") {
  CHECK(parse_size("512KiB").value() == Bytes{512 * 1024});
  CHECK(parse_size("1GiB").value() == 1_GiB);
  CHECK(parse_size("64MiB").value() == 64_MiB);
  CHECK(parse_size("1.5KiB").value() == Bytes{1536});
  CHECK(parse_size("10MB").value() == Bytes{10'000'000});
  CHECK(parse_size("4096").value() == Bytes{4096});
  CHECK(parse_size("100B").value() == Bytes{100});
  CHECK(parse_size("3 furlongs").error().message ==
        "unknown size unit 'furlongs' (units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
}

TEST_CASE("sizes and ages render for humans") {
  CHECK(format_bytes(Bytes{512}) == "512 B");
  CHECK(format_bytes(Bytes{12'897'485}) == "12.3 MiB");
  CHECK(format_bytes(1_GiB) == "1.0 GiB");
  CHECK(format_age(45s) == "45s");
  CHECK(format_age(185s) == "3m05s");
  CHECK(format_age(3h + 12min + 9s) == "3h12m");
  CHECK(format_age(52h) == "2d04h");
  CHECK(format_age(-5s) == "0s");
}

TEST_CASE("durations and sizes print in their shortest exact config spelling") {
  CHECK(format_duration(10ms) == "10ms");
  CHECK(format_duration(120s) == "2m");
  CHECK(format_duration(1500us) == "1500us");
  CHECK(format_duration(0s) == "0s");
  CHECK(format_size(1_GiB) == "1GiB");
  CHECK(format_size(Bytes{512 * 1024}) == "512KiB");
  CHECK(format_size(Bytes{1000}) == "1000B");
}
