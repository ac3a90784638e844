#include "gateway/rules/alert.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>

using namespace sensorgate;
using namespace sensorgate::rules;
using namespace std::chrono_literals;

namespace {

AlertEvent boiler_event() {
  AlertEvent event;
  event.rule = "boiler-overpressure";
  event.device = "boiler-1";
  event.metric = "pressure";
  event.severity = "critical";
  event.state = AlertState::kFiring;
  event.value = 8.7;
  event.threshold = 8.5;
  event.ts_ns = 1'795'000'000'123'000'000;
  event.raised_at_ns = 1'795'000'001'000'000'000;
  event.message = "pressure of boiler-1 is 8.7 > 8.5";
  return event;
}

}  // namespace

TEST_CASE("an alert event encodes as the JSON of DESIGN.md, key for key") {
  AlertEvent event = boiler_event();
  CHECK(encode_alert_json(event) ==
        R"({"rule":"boiler-overpressure","device":"boiler-1","metric":"pressure",)"
        R"("severity":"critical","state":"firing","value":8.7,"threshold":8.5,)"
        R"("ts":"2026-11-18T11:06:40.123Z","raised_at":"2026-11-18T11:06:41.000Z",)"
        R"("message":"pressure of boiler-1 is 8.7 > 8.5"})");
  event.state = AlertState::kResolved;
  event.value = std::numeric_limits<double>::quiet_NaN();
  event.message = "say \"hi\"";
  CHECK(encode_alert_json(event) ==
        R"({"rule":"boiler-overpressure","device":"boiler-1","metric":"pressure",)"
        R"("severity":"critical","state":"resolved","value":null,"threshold":8.5,)"
        R"("ts":"2026-11-18T11:06:40.123Z","raised_at":"2026-11-18T11:06:41.000Z",)"
        R"("message":"say \"hi\""})");
}

TEST_CASE("templates replace device, metric, rule and the numbers, and keep unknown braces") {
  const AlertEvent event = boiler_event();
  CHECK(expand_alert_template("alerts/{device}/{metric}/{rule}", event) ==
        "alerts/boiler-1/pressure/boiler-overpressure");
  CHECK(expand_alert_template("{severity}: {value} over {threshold} ({state}) {other} {", event) ==
        "critical: 8.7 over 8.5 (firing) {other} {");
  CHECK(expand_alert_template("plain", event) == "plain");
}

TEST_CASE("default messages name the series, the value and the bound for each rule kind") {
  config::RuleConfig rule;
  rule.name = "r";
  AlertEvent event = boiler_event();
  rule.when = {config::CompareOp::kGreater, 8.5};
  CHECK(default_alert_message(rule, event) == "pressure of boiler-1 is 8.7 > 8.5");
  event.state = AlertState::kResolved;
  event.value = 8.2;
  CHECK(default_alert_message(rule, event) == "pressure of boiler-1 is 8.2, no longer > 8.5");
  rule.clear = config::Comparison{config::CompareOp::kLess, 8.0};
  event.value = 7.9;
  CHECK(default_alert_message(rule, event) == "pressure of boiler-1 is 7.9 < 8");

  rule.kind = config::RuleKind::kRateAbove;
  rule.rate = {5, 1min};
  event.state = AlertState::kFiring;
  event.value = 6;
  event.threshold = 5;
  CHECK(default_alert_message(rule, event) == "pressure of boiler-1 changes per 1m is 6, above 5");

  rule.kind = config::RuleKind::kAvgAbove;
  rule.window = {30, 5min};
  event.value = 31.25;
  event.threshold = 30;
  CHECK(default_alert_message(rule, event) ==
        "average pressure of boiler-1 over 5m is 31.25, above 30");
  event.state = AlertState::kResolved;
  CHECK(default_alert_message(rule, event) ==
        "average pressure of boiler-1 over 5m is 31.25, no longer above 30");

  rule.kind = config::RuleKind::kAbsent;
  rule.absent_for = 2min;
  event.state = AlertState::kFiring;
  CHECK(default_alert_message(rule, event) == "no pressure from boiler-1 for 2m");
  event.state = AlertState::kResolved;
  event.value = 185;
  CHECK(default_alert_message(rule, event) ==
        "pressure from boiler-1 again after 3m05s of silence");
}
