// Fuzz target: the bodies of POST /v1/readings and /v1/lines (adapters/http/reading_body.hpp).
// The first byte picks the format (mod 3: '0' JSON array, '1' NDJSON, '2' influx lines; the
// seeds use the digits), the rest is the body. Beyond not crashing (a deep body must not
// overflow the stack): the kept errors are at most max_errors, error_count and by_reason count
// every bad item, every reading is valid (tests/fuzz/fuzz_check.hpp), and the 400 answer is
// valid UTF-8 and valid JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "adapters/http/reading_body.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  http::BodyOptions options;
  options.format = static_cast<http::BodyFormat>(data[0] % 3);
  options.receive_ts_ns = 1'800'000'000'000'000'000;
  options.topic = "fuzz";
  options.max_errors = 4;
  const http::ParsedBody parsed = http::parse_body(fuzz::as_text(data + 1, size - 1), options);

  FUZZ_CHECK(parsed.errors.size() <= options.max_errors, "more errors kept than max_errors");
  FUZZ_CHECK(parsed.error_count >= parsed.errors.size(), "error_count below the kept errors");
  std::size_t by_reason = 0;
  for (const auto& [reason, count] : parsed.by_reason) by_reason += count;
  FUZZ_CHECK(by_reason == parsed.error_count, "by_reason does not add up to error_count");
  for (const Reading& reading : parsed.readings) fuzz::check_reading(reading);

  const std::string answer = http::errors_json(parsed, options.format);
  FUZZ_CHECK(is_valid_utf8(answer), "the 400 answer is not valid UTF-8");
  FUZZ_CHECK(nlohmann::json::accept(answer), "the 400 answer is not valid JSON");
  return 0;
}
