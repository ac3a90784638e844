// Fuzz target: the influx line protocol parser (adapters/formats/influx_line.hpp and
// influx_batch.hpp), on any bytes as the text of one or more lines. Each line goes through
// parse_influx_line; the whole text through influx_lines_to_readings (all or nothing, the MQTT
// line payload) and append_influx_lines (line by line, UDP and HTTP), with timestamps in ns and
// in seconds (where multiplying can overflow). Beyond not crashing: every reading is valid
// (tests/fuzz/fuzz_check.hpp); the two whole-text functions agree: all or nothing accepts the
// text exactly when line by line finds no bad line, and then both give the same readings.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "adapters/formats/influx_batch.hpp"
#include "adapters/formats/influx_line.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;
using formats::TimestampUnit;

namespace {

bool same(const Reading& a, const Reading& b) {
  return a.device == b.device && a.metric == b.metric && a.value == b.value && a.unit == b.unit &&
         a.ts_ns == b.ts_ns && a.tags == b.tags && a.topic == b.topic;
}

void check_text(std::string_view text, TimestampUnit unit) {
  formats::LineReadingOptions options;
  options.fallback_device = "fallback";
  options.timestamp_unit = unit;
  options.receive_ts_ns = 1'800'000'000'000'000'000;
  options.topic = "fuzz";

  const auto whole = formats::influx_lines_to_readings(text, options);
  std::vector<Reading> by_line;
  std::size_t errors = 0;
  const std::size_t bad = formats::append_influx_lines(
      text, options, by_line, [&](std::size_t line, adapters::RejectReason, std::string message) {
        FUZZ_CHECK(line >= 1, "a line number below 1");
        FUZZ_CHECK(!message.empty(), "a line error without a message");
        ++errors;
      });
  FUZZ_CHECK(bad == errors, "append_influx_lines miscounts its bad lines");
  for (const Reading& reading : by_line) fuzz::check_reading(reading);
  FUZZ_CHECK(whole.ok() == (bad == 0), "all-or-nothing and line-by-line disagree on the text");
  if (!whole.ok()) return;
  FUZZ_CHECK(whole->size() == by_line.size(), "the two give different numbers of readings");
  for (std::size_t i = 0; i < by_line.size(); ++i) {
    FUZZ_CHECK(same((*whole)[i], by_line[i]), "the two give different readings");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (formats::is_blank_or_comment(line)) continue;  // the callers skip these
    const auto point = formats::parse_influx_line(line);
    if (!point.ok()) {
      FUZZ_CHECK(!point.error().message.empty(), "a parse error without a message");
      continue;
    }
    FUZZ_CHECK(!point->fields.empty(), "a point without fields");
  }
  check_text(text, TimestampUnit::kNanoseconds);
  check_text(text, TimestampUnit::kSeconds);
  return 0;
}
