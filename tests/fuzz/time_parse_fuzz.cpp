// Fuzz target: timestamp parsing, RFC 3339 text (core/time_format.hpp) and epoch numbers in
// every unit (adapters/formats/epoch_time.hpp). The input is the text; its first 8 bytes are
// also read as an int64 and as a double epoch value, and as nanoseconds to format. Beyond not
// crashing (signed overflow is a crash under UBSan): what parse_rfc3339 accepts formats back to
// text that parses to the same instant; every int64 formats to text that parses back to it; an
// epoch number in any unit is never negative once converted.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "adapters/formats/epoch_time.hpp"
#include "core/time_format.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;
using formats::TimestampUnit;

namespace {

constexpr std::array kUnits = {TimestampUnit::kAuto,         TimestampUnit::kSeconds,
                               TimestampUnit::kMilliseconds, TimestampUnit::kMicroseconds,
                               TimestampUnit::kNanoseconds,  TimestampUnit::kRfc3339};

void check_round_trip(std::int64_t ns) {
  const std::string text = format_rfc3339(ns);
  const auto parsed = parse_rfc3339(text);
  FUZZ_CHECK(parsed.ok(), "format_rfc3339 gives text parse_rfc3339 refuses");
  FUZZ_CHECK(*parsed == ns, "format_rfc3339 then parse_rfc3339 changes the instant");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const auto rfc3339 = parse_rfc3339(text);
  if (rfc3339.ok()) {
    check_round_trip(*rfc3339);
  } else {
    FUZZ_CHECK(!rfc3339.error().message.empty(), "an error without a message");
  }

  for (const TimestampUnit unit : kUnits) {
    const auto ns = formats::text_to_ns(text, unit);
    const bool epoch_unit = unit != TimestampUnit::kAuto && unit != TimestampUnit::kRfc3339;
    if (ns.ok() && epoch_unit) FUZZ_CHECK(*ns >= 0, "an epoch text gives a negative instant");
    if (ns.ok() && unit == TimestampUnit::kRfc3339) {
      FUZZ_CHECK(rfc3339.ok() && *ns == *rfc3339, "kRfc3339 disagrees with parse_rfc3339");
    }
  }

  if (size >= 8) {
    std::int64_t whole = 0;
    double real = 0;
    std::memcpy(&whole, data, sizeof whole);
    std::memcpy(&real, data, sizeof real);
    check_round_trip(whole);
    for (const TimestampUnit unit : kUnits) {
      const auto from_whole = formats::epoch_to_ns(whole, unit);
      const auto from_real = formats::epoch_to_ns(real, unit);
      if (from_whole.ok()) FUZZ_CHECK(*from_whole >= 0, "an int64 epoch gives a negative instant");
      if (from_real.ok()) FUZZ_CHECK(*from_real >= 0, "a double epoch gives a negative instant");
    }
  }
  return 0;
}
