#include "adapters/mqtt/topic_filter.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::mqtt {
namespace {

// The captures of `topic` against `filter`, or {"<no match>"}.
std::vector<std::string> captures_of(std::string_view filter, std::string_view topic) {
  auto parsed = TopicFilter::parse(filter);
  REQUIRE(parsed);
  std::vector<std::string_view> captures;
  if (!parsed->match(topic, captures)) return {"<no match>"};
  return {captures.begin(), captures.end()};
}

using Captures = std::vector<std::string>;
const Captures kNoMatch = {"<no match>"};

TEST_CASE("a filter without wildcards matches only the same topic") {
  CHECK(captures_of("plant/a/t", "plant/a/t") == Captures{});
  CHECK(captures_of("plant/a/t", "plant/a/t/x") == kNoMatch);
  CHECK(captures_of("plant/a/t", "plant/a") == kNoMatch);
  CHECK(captures_of("plant/a/t", "plant/b/t") == kNoMatch);
}

TEST_CASE("each plus captures exactly one level") {
  CHECK(captures_of("plant/+/+/telemetry", "plant/hall/7/telemetry") == Captures{"hall", "7"});
  CHECK(captures_of("plant/+/+/telemetry", "plant/hall/telemetry") == kNoMatch);
  CHECK(captures_of("plant/+/+/telemetry", "plant/hall/7/8/telemetry") == kNoMatch);
  CHECK(captures_of("+", "x") == Captures{"x"});
  CHECK(captures_of("+/+", "/finance") == Captures{"", "finance"});
}

TEST_CASE("hash captures the rest of the topic as one capture, or nothing") {
  CHECK(captures_of("plant/+/#", "plant/hall/a/b/c") == Captures{"hall", "a/b/c"});
  CHECK(captures_of("plant/#", "plant") == Captures{""});
  CHECK(captures_of("#", "a/b") == Captures{"a/b"});
  CHECK(captures_of("plant/#", "other/x") == kNoMatch);
}

TEST_CASE("topics starting with a dollar do not match a leading wildcard") {
  CHECK(captures_of("#", "$SYS/broker/uptime") == kNoMatch);
  CHECK(captures_of("+/broker/uptime", "$SYS/broker/uptime") == kNoMatch);
  CHECK(captures_of("$SYS/#", "$SYS/broker/uptime") == Captures{"broker/uptime"});
}

TEST_CASE("malformed filters are refused") {
  CHECK_FALSE(TopicFilter::parse(""));
  CHECK_FALSE(TopicFilter::parse("a/#/b"));
  CHECK_FALSE(TopicFilter::parse("a/b#"));
  CHECK_FALSE(TopicFilter::parse("a+/b"));
  CHECK(TopicFilter::parse("a/+/#"));
  CHECK(TopicFilter::parse("a/+/#")->wildcard_count() == 2);
}

}  // namespace
}  // namespace sensorgate::mqtt
