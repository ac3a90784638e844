// Rules that can never match: glob overlap, the names mappings can produce, and the warning
// `check` prints with the rule's line.
#include "config/rule_reach.hpp"

#include <catch2/catch.hpp>

#include "tests/config/config_test_util.hpp"

using namespace sensorgate::config;
using sensorgate::config::testing::load;
using sensorgate::config::testing::messages;

TEST_CASE("two globs overlap when some name matches both") {
  CHECK(globs_overlap("*", "anything"));
  CHECK(globs_overlap("boiler-*", "boiler-1"));
  CHECK(globs_overlap("boiler-*", "*-1"));
  CHECK(globs_overlap("hall-?", "*"));
  CHECK(globs_overlap("a*c", "ab*"));
  CHECK(globs_overlap("", ""));
  CHECK(globs_overlap("*", ""));
  CHECK_FALSE(globs_overlap("boiler-*", "hall-*"));
  CHECK_FALSE(globs_overlap("temp", "hum"));
  CHECK_FALSE(globs_overlap("hall-?", "hall-10"));
  CHECK_FALSE(globs_overlap("*-a", "*-b"));
  CHECK_FALSE(globs_overlap("x", ""));
}

TEST_CASE("a template's names are its text with every placeholder as a star") {
  CHECK(template_glob("{2}") == "*");
  CHECK(template_glob("boiler-{1}") == "boiler-*");
  CHECK(template_glob("{1}{2}") == "*");
  CHECK(template_glob("site-{1}-dev-{2}") == "site-*-dev-*");
  CHECK(template_glob("plain") == "plain");
}

namespace {

constexpr std::string_view kAdapters =
    "kafka: {brokers: k:9092}\n"
    "adapters:\n"
    "  - name: plant\n"
    "    type: mqtt\n"
    "    subscriptions:\n"
    "      - filter: plant/+/telemetry\n"
    "        device: \"boiler-{1}\"\n"
    "        metrics: {temp: {field: t}, hum: {field: h}}\n"
    "      - filter: meters/+/+\n"
    "        device: \"meter-{1}\"\n"
    "        payload: number\n"
    "        metric: \"{2}\"\n";

}  // namespace

TEST_CASE("the shapes of readings come from each mapping's device and metric templates") {
  const auto outcome = load(kAdapters);
  REQUIRE(outcome.ok());
  const auto shapes = reading_shapes(outcome.config->adapters);
  REQUIRE(shapes.size() == 3);
  CHECK(shapes[0].device == "boiler-*");
  CHECK(shapes[0].metric == "temp");
  CHECK(shapes[1].metric == "hum");
  CHECK(shapes[2].device == "meter-*");
  CHECK(shapes[2].metric == "*");
}

TEST_CASE("a rule that no mapping can feed is a warning at the rule's line") {
  const auto outcome = load(std::string(kAdapters) +
                            "rules:\n"
                            "  - name: hot\n"
                            "    match: {device: \"boiler-*\", metric: temp}\n"
                            "    when: value > 90\n"
                            "  - name: typo\n"
                            "    match: {device: \"boilr-*\", metric: temp}\n"
                            "    when: value > 90\n"
                            "  - name: no-such-metric\n"
                            "    match: {device: \"boiler-*\", metric: pressure}\n"
                            "    when: value > 9\n"
                            "  - name: meter-any\n"
                            "    match: {device: \"meter-7\", metric: pressure}\n"
                            "    when: value > 9\n");
  REQUIRE(outcome.ok());  // warnings do not stop the gateway
  const auto lines = messages(outcome);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "sensorgate.yaml:17:5: warning: rules[1].match: rule typo matches device \"boilr-*\", "
        "metric \"temp\", which no adapter mapping produces (device/metric: boiler-*/temp, "
        "boiler-*/hum, meter-*/*); it will never fire");
  CHECK(lines[1].rfind("sensorgate.yaml:20:5: warning: rules[2].match: rule no-such-metric", 0) ==
        0);
}

TEST_CASE("without adapters no rule is flagged: they may come with the next config") {
  const auto outcome = load(
      "kafka: {brokers: k:9092}\n"
      "rules:\n"
      "  - name: any\n"
      "    match: {device: \"x\", metric: y}\n"
      "    when: value > 1\n");
  REQUIRE(outcome.ok());
  CHECK(outcome.diagnostics.empty());
}
