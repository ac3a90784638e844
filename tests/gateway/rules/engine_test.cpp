#include "gateway/rules/engine.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

using namespace sensorgate;
using namespace sensorgate::rules;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kStart = 1'795'000'000'000'000'000;  // 2026-11-18T11:06:40Z
constexpr std::int64_t kSecond = 1'000'000'000;

config::RuleConfig threshold_rule(config::Comparison when) {
  config::RuleConfig rule;
  rule.name = "boiler-overpressure";
  rule.match_device = "boiler-*";
  rule.match_metric = "pressure";
  rule.when = when;
  rule.severity = "critical";
  return rule;
}

config::RuleConfig kind_rule(config::RuleKind kind) {
  config::RuleConfig rule;
  rule.name = "temp-rule";
  rule.match_metric = "temp";
  rule.kind = kind;
  return rule;
}

Reading reading(std::string device, std::string metric, ReadingValue value, std::int64_t ts_ns) {
  Reading r;
  r.device = std::move(device);
  r.metric = std::move(metric);
  r.value = std::move(value);
  r.ts_ns = ts_ns;
  return r;
}

// Feeds `values` one second apart to one series from `start` on; returns every event.
std::vector<AlertEvent> feed(RulesEngine& engine, const std::string& device,
                             const std::string& metric, const std::vector<double>& values,
                             std::int64_t start = kStart) {
  std::vector<AlertEvent> all;
  std::int64_t ts = start;
  for (double v : values) {
    for (auto& e : engine.on_reading(reading(device, metric, v, ts))) all.push_back(std::move(e));
    ts += kSecond;
  }
  return all;
}

}  // namespace

TEST_CASE("a threshold rule fires once, stays quiet while the value stays high, then resolves") {
  ManualClock clock(kStart);
  RulesEngine engine({threshold_rule({config::CompareOp::kGreater, 8.5})}, clock);
  const auto events = feed(engine, "boiler-1", "pressure", {8.0, 8.7, 9.0, 9.5, 8.9, 8.1, 7.0});
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].rule == "boiler-overpressure");
  CHECK(events[0].device == "boiler-1");
  CHECK(events[0].metric == "pressure");
  CHECK(events[0].severity == "critical");
  CHECK(events[0].value == 8.7);
  CHECK(events[0].threshold == 8.5);
  CHECK(events[0].ts_ns == kStart + 1 * kSecond);
  CHECK(events[0].message == "pressure of boiler-1 is 8.7 > 8.5");
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].value == 8.1);
  CHECK(events[1].ts_ns == kStart + 5 * kSecond);
  CHECK(events[1].message == "pressure of boiler-1 is 8.1, no longer > 8.5");
  CHECK(engine.firing().empty());
}

TEST_CASE("every comparison operator judges the value as written") {
  using config::CompareOp;
  struct Case {
    CompareOp op;
    double fires_at, quiet_at;
  };
  for (const Case c : {Case{CompareOp::kGreater, 6, 5}, Case{CompareOp::kGreaterEqual, 5, 4},
                       Case{CompareOp::kLess, 4, 5}, Case{CompareOp::kLessEqual, 5, 6},
                       Case{CompareOp::kEqual, 5, 4}, Case{CompareOp::kNotEqual, 4, 5}}) {
    ManualClock clock(kStart);
    RulesEngine engine({threshold_rule({c.op, 5})}, clock);
    CHECK(feed(engine, "boiler-1", "pressure", {c.quiet_at}).empty());
    const auto events = feed(engine, "boiler-1", "pressure", {c.fires_at}, kStart + kSecond);
    REQUIRE(events.size() == 1);
    CHECK(events[0].state == AlertState::kFiring);
  }
}

TEST_CASE("hysteresis with clear stops flapping on noisy input around the threshold") {
  const std::vector<double> noisy = {8.4, 8.6, 8.45, 8.55, 8.3, 8.7, 8.49, 8.51, 8.2, 8.6, 7.9};
  ManualClock clock(kStart);

  RulesEngine plain({threshold_rule({config::CompareOp::kGreater, 8.5})}, clock);
  CHECK(feed(plain, "boiler-1", "pressure", noisy).size() == 10);  // flaps without clear

  auto rule = threshold_rule({config::CompareOp::kGreater, 8.5});
  rule.clear = config::Comparison{config::CompareOp::kLess, 8.0};
  RulesEngine hysteresis({rule}, clock);
  const auto events = feed(hysteresis, "boiler-1", "pressure", noisy);
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == 8.6);
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].value == 7.9);
  CHECK(events[1].threshold == 8.0);
  CHECK(events[1].message == "pressure of boiler-1 is 7.9 < 8");
}

TEST_CASE("for: suppresses a short spike and fires once the condition has held long enough") {
  ManualClock clock(kStart);
  auto rule = threshold_rule({config::CompareOp::kGreater, 8.5});
  rule.hold_for = 10s;
  RulesEngine engine({rule}, clock);
  // A 5 s spike (readings 1 s apart) then back to normal: nothing.
  CHECK(feed(engine, "boiler-1", "pressure", {9, 9, 9, 9, 9, 9, 8}).empty());
  // 12 s above: fires at the reading 10 s after the first high one, once.
  const auto events = feed(engine, "boiler-1", "pressure", {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
                           kStart + 100 * kSecond);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].ts_ns == kStart + 110 * kSecond);
}

TEST_CASE("a rate_above rule fires on a steep rise, holds, and resolves when the rise stops") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kRateAbove);
  rule.rate = {5, 1min};  // more than 5 per minute
  RulesEngine engine({rule}, clock);
  std::vector<AlertEvent> events;
  const auto at = [&](int second, double v) {
    for (auto& e : engine.on_reading(reading("hall-1", "temp", v, kStart + second * kSecond))) {
      events.push_back(std::move(e));
    }
  };
  at(0, 20);
  at(60, 24);   // 4 per minute
  at(90, 28);   // 8 per minute: fires
  at(120, 32);  // still 8 per minute: quiet
  at(120, 90);  // not newer than the previous reading: skipped
  at(180, 33);  // 1 per minute: resolves
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == Approx(8.0));
  CHECK(events[0].threshold == 5);
  CHECK(events[0].ts_ns == kStart + 90 * kSecond);
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].value == Approx(1.0));
}

TEST_CASE("a rate_below rule with a negative delta fires on a steep fall") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kRateBelow);
  rule.rate = {-2, 1s};
  RulesEngine engine({rule}, clock);
  const auto events = feed(engine, "hall-1", "temp", {50, 49, 45, 41, 40.5, 40});
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == Approx(-4.0));
  CHECK(events[0].ts_ns == kStart + 2 * kSecond);
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].ts_ns == kStart + 4 * kSecond);
}

TEST_CASE("an avg_above rule judges the average of the sliding window only") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kAvgAbove);
  rule.window = {30, 10s};
  RulesEngine engine({rule}, clock);
  // Averages (window of 10 readings 1 s apart): 20, 25, 30, 32.5: fires at the 4th reading.
  auto events = feed(engine, "hall-1", "temp", {20, 30, 40, 40});
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == Approx(32.5));
  CHECK(events[0].threshold == 30);
  // Steady 31: the old 20 falls out of the window; the average stays above 30, no new event.
  CHECK(feed(engine, "hall-1", "temp", std::vector<double>(20, 31), kStart + 4 * kSecond).empty());
  // Readings of 25 pull the average down; it resolves when it reaches 30 or less.
  events = feed(engine, "hall-1", "temp", std::vector<double>(10, 25), kStart + 24 * kSecond);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kResolved);
  CHECK(events[0].value <= 30);
  CHECK(events[0].value > 29);
}

TEST_CASE("an avg_below rule stays exact with many readings per window slot") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kAvgBelow);
  rule.window = {10, 1s};
  RulesEngine engine({rule}, clock);
  // 100,000 readings within one second alternating 30 and 0: average 15, never below 10.
  std::int64_t ts = kStart;
  std::size_t events = 0;
  for (int i = 0; i < 100'000; ++i, ts += 10'000) {
    events += engine.on_reading(reading("hall-1", "temp", i % 2 == 0 ? 30.0 : 0.0, ts)).size();
  }
  CHECK(events == 0);
  // Then one second of 5s replaces the window: fires once, with the average of the 5s.
  std::vector<AlertEvent> fired;
  for (int i = 0; i < 1000; ++i, ts += 1'000'000) {
    for (auto& e : engine.on_reading(reading("hall-1", "temp", 5.0, ts))) fired.push_back(e);
  }
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].state == AlertState::kFiring);
  CHECK(fired[0].value < 10);
  const auto last = engine.on_reading(reading("hall-1", "temp", 5.0, ts));
  CHECK(last.empty());
}

TEST_CASE("a min_below rule fires on a dip and resolves once the dip leaves the window") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kMinBelow);
  rule.window = {10, 5s};
  RulesEngine engine({rule}, clock);
  const auto events = feed(engine, "hall-1", "temp", {20, 15, 8, 20, 20, 20, 20, 20, 20});
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == 8);
  CHECK(events[0].ts_ns == kStart + 2 * kSecond);
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].value == 20);
  CHECK(events[1].ts_ns == kStart + 7 * kSecond);  // the 8 (at 2 s) is out of the 5 s window
}

TEST_CASE("a max_above rule fires on a peak and resolves once the peak leaves the window") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kMaxAbove);
  rule.window = {50, 3s};
  RulesEngine engine({rule}, clock);
  const auto events = feed(engine, "hall-1", "temp", {40, 60, 45, 55, 30, 30, 30, 30});
  REQUIRE(events.size() == 2);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == 60);
  CHECK(events[1].state == AlertState::kResolved);
  CHECK(events[1].value == 30);
  CHECK(events[1].ts_ns == kStart + 6 * kSecond);  // the 55 (at 3 s) has left the window
}

TEST_CASE("absent_for fires once per silence by the clock and resolves on the next reading") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kAbsent);
  rule.name = "climate-silent";
  rule.match_device = "hall-*";
  rule.match_metric = "*";
  rule.absent_for = 2min;
  rule.mqtt = "alerts/{device}/{rule}";
  RulesEngine engine({rule}, clock);
  CHECK(engine.on_reading(reading("hall-1", "temp", 21.0, kStart)).empty());
  clock.advance(119s);
  CHECK(engine.on_tick().empty());
  clock.advance(1s);
  auto events = engine.on_tick();
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kFiring);
  CHECK(events[0].value == 120);
  CHECK(events[0].threshold == 120);
  CHECK(events[0].ts_ns == kStart + 120 * kSecond);
  CHECK(events[0].message == "no temp from hall-1 for 2m");
  CHECK(events[0].mqtt_topic == "alerts/hall-1/climate-silent");
  for (int i = 0; i < 10; ++i) {
    clock.advance(30s);
    CHECK(engine.on_tick().empty());
  }
  // A string value still counts as a sign of life.
  events = engine.on_reading(reading("hall-1", "temp", std::string("ok"), 0));
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kResolved);
  CHECK(events[0].value == 420);
  CHECK(events[0].message == "temp from hall-1 again after 7m00s of silence");
  // A new silence fires again.
  clock.advance(2min);
  CHECK(engine.on_tick().size() == 1);
}

TEST_CASE("absent_for judges each series separately") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kAbsent);
  rule.absent_for = 10s;
  RulesEngine engine({rule}, clock);
  CHECK(engine.on_reading(reading("hall-1", "temp", 1.0, kStart)).empty());
  CHECK(engine.on_reading(reading("hall-2", "temp", 1.0, kStart)).empty());
  CHECK(engine.on_reading(reading("hall-2", "humidity", 1.0, kStart)).empty());
  clock.advance(6s);
  CHECK(engine.on_reading(reading("hall-2", "temp", 1.0, kStart)).empty());
  clock.advance(6s);
  const auto events = engine.on_tick();
  REQUIRE(events.size() == 1);
  CHECK(events[0].device == "hall-1");
  CHECK(engine.firing() == std::vector<FiringKey>{{"temp-rule", "hall-1", "temp"}});
}

TEST_CASE("a rule applies to each matching series separately and skips the others") {
  ManualClock clock(kStart);
  RulesEngine engine({threshold_rule({config::CompareOp::kGreater, 8.5})}, clock);
  CHECK(feed(engine, "boiler-1", "pressure", {9}).size() == 1);
  CHECK(feed(engine, "boiler-2", "pressure", {9}).size() == 1);  // its own state
  CHECK(feed(engine, "boiler-1", "pressure", {9.5}).empty());
  CHECK(feed(engine, "hall-1", "pressure", {9}).empty());  // device does not match
  CHECK(feed(engine, "boiler-1", "temp", {9}).empty());    // metric does not match
  const auto resolved = feed(engine, "boiler-2", "pressure", {1});
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].device == "boiler-2");
  CHECK(engine.firing() == std::vector<FiringKey>{{"boiler-overpressure", "boiler-1", "pressure"}});
}

TEST_CASE("several rules on one series report in rule order") {
  ManualClock clock(kStart);
  auto warn = threshold_rule({config::CompareOp::kGreater, 8.0});
  warn.name = "warn";
  auto crit = threshold_rule({config::CompareOp::kGreater, 9.0});
  crit.name = "crit";
  RulesEngine engine({warn, crit}, clock);
  CHECK(feed(engine, "boiler-1", "pressure", {8.5}).size() == 1);
  const auto events = feed(engine, "boiler-1", "pressure", {1.0, 9.5}, kStart + kSecond);
  REQUIRE(events.size() == 3);
  CHECK((events[0].rule == "warn" && events[0].state == AlertState::kResolved));
  CHECK((events[1].rule == "warn" && events[1].state == AlertState::kFiring));
  CHECK((events[2].rule == "crit" && events[2].state == AlertState::kFiring));
}

TEST_CASE("bool readings count as 0 and 1, while strings and non-finite numbers are not judged") {
  ManualClock clock(kStart);
  auto rule = threshold_rule({config::CompareOp::kEqual, 1});
  rule.match_metric = "alarm";
  RulesEngine engine({rule}, clock);
  CHECK(engine.on_reading(reading("boiler-1", "alarm", false, kStart)).empty());
  CHECK(engine.on_reading(reading("boiler-1", "alarm", std::string("1"), kStart)).empty());
  auto events = engine.on_reading(reading("boiler-1", "alarm", true, kStart));
  REQUIRE(events.size() == 1);
  CHECK(events[0].value == 1);
  CHECK(engine.on_reading(reading("boiler-1", "alarm", std::nan(""), kStart)).empty());
  CHECK(engine.on_reading(reading("boiler-1", "alarm", false, kStart)).size() == 1);
}

TEST_CASE("the message template and the mqtt topic template are expanded per event") {
  ManualClock clock(kStart);
  auto rule = threshold_rule({config::CompareOp::kGreater, 8.5});
  rule.mqtt = "alerts/{device}";
  rule.message = "{device} {metric} at {value} (limit {threshold}) {state}";
  RulesEngine engine({rule}, clock);
  const auto events = feed(engine, "boiler-7", "pressure", {8.75, 1});
  REQUIRE(events.size() == 2);
  CHECK(events[0].mqtt_topic == "alerts/boiler-7");
  CHECK(events[0].message == "boiler-7 pressure at 8.75 (limit 8.5) firing");
  CHECK(events[1].message == "boiler-7 pressure at 1 (limit 8.5) resolved");
}

TEST_CASE("restored firing state fires no duplicate while bad and resolves when it clears") {
  ManualClock clock(kStart);
  auto pressure = threshold_rule({config::CompareOp::kGreater, 8.5});
  auto silent = kind_rule(config::RuleKind::kAbsent);
  silent.name = "climate-silent";
  silent.absent_for = 2min;
  std::vector<FiringKey> saved;
  {
    RulesEngine before({pressure, silent}, clock);
    CHECK(feed(before, "boiler-1", "pressure", {9}).size() == 1);
    CHECK(before.on_reading(reading("hall-1", "temp", 20.0, kStart)).empty());
    clock.advance(3min);
    CHECK(before.on_tick().size() == 1);
    saved = before.firing();
  }
  REQUIRE(saved == std::vector<FiringKey>{{"boiler-overpressure", "boiler-1", "pressure"},
                                          {"climate-silent", "hall-1", "temp"}});

  RulesEngine after({pressure, silent}, clock);
  std::vector<FiringKey> with_stale = saved;
  with_stale.push_back({"removed-rule", "boiler-1", "pressure"});
  with_stale.push_back({"boiler-overpressure", "hall-1", "pressure"});  // no longer matches
  CHECK(after.restore_firing(with_stale) ==
        std::vector<FiringKey>{{"removed-rule", "boiler-1", "pressure"},
                               {"boiler-overpressure", "hall-1", "pressure"}});
  CHECK(after.firing() == saved);

  // Still bad after the restart: no second firing event.
  CHECK(feed(after, "boiler-1", "pressure", {9, 9.2}, kStart + 200 * kSecond).empty());
  // Still silent: the restored absent alert does not fire again.
  clock.advance(5min);
  CHECK(after.on_tick().empty());
  // Both resolve when their series recover.
  auto events = feed(after, "boiler-1", "pressure", {7}, kStart + 300 * kSecond);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kResolved);
  events = after.on_reading(reading("hall-1", "temp", 20.0, kStart));
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kResolved);
  CHECK(events[0].rule == "climate-silent");
  CHECK(after.firing().empty());
}

TEST_CASE("a restored rate rule resolves on the first rate it can judge after the restart") {
  ManualClock clock(kStart);
  auto rule = kind_rule(config::RuleKind::kRateAbove);
  rule.rate = {5, 1s};
  RulesEngine engine({rule}, clock);
  CHECK(engine.restore_firing({{"temp-rule", "hall-1", "temp"}}).empty());
  const auto events = feed(engine, "hall-1", "temp", {10, 30, 31});
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == AlertState::kResolved);
  CHECK(events[0].ts_ns == kStart + 2 * kSecond);
}
