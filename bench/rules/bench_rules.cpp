// bench_rules: what the edge rules cost the ingest path. 100 rules (ten of each kind group:
// threshold, threshold with clear and for:, rate_above, rate_below, avg_above, avg_below,
// min_below, max_above, absent_for, a `?` glob threshold; metric `*` unless said) over 10,000
// series (1,000 devices x 10 metrics); every series matches exactly 10 rules. The same reading loop
// runs without rules (baseline: make the reading and encode its record value, as ingest does) and
// with rules (the same plus RulesEngine::on_reading) in the same run; best of 3 rounds each.
//
//   bench_rules [readings]   (default 2,000,000 timed readings per round)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/reading.hpp"
#include "core/reading_json.hpp"
#include "gateway/rules/engine.hpp"

using namespace sensorgate;
using namespace std::chrono_literals;

namespace {

constexpr int kDevices = 1000;
constexpr int kMetrics = 10;
constexpr int kSeries = kDevices * kMetrics;
constexpr int kRules = 100;
constexpr int kRulesPerSeries = 10;
constexpr std::int64_t kStart = 1'795'000'000'000'000'000;
constexpr std::int64_t kStepNs = 1'000'000;  // one reading per ms over all series

std::vector<config::RuleConfig> make_rules() {
  std::vector<config::RuleConfig> rules;
  for (int i = 0; i < kRules; ++i) {
    config::RuleConfig rule;
    // snprintf, not std::string operators: GCC 12 -O2 warns falsely (-Wrestrict) on those.
    char text[16];
    std::snprintf(text, sizeof text, "rule-%d", i);
    rule.name = std::string(text);
    std::snprintf(text, sizeof text, "dev-%d*", i % 10);  // 100 devices each
    rule.match_device = std::string(text);
    switch (i / 10) {
      case 0:
        rule.when = {config::CompareOp::kGreater, 99};
        break;
      case 1:
        rule.when = {config::CompareOp::kGreater, 98};
        rule.clear = config::Comparison{config::CompareOp::kLess, 90};
        rule.hold_for = 10s;
        break;
      case 2:
        rule.kind = config::RuleKind::kRateAbove;
        rule.rate = {5.9, 1min};
        break;
      case 3:
        rule.kind = config::RuleKind::kRateBelow;
        rule.rate = {-5.9, 1min};
        break;
      case 4:
        rule.kind = config::RuleKind::kAvgAbove;
        rule.window = {70, 5min};
        break;
      case 5:
        rule.kind = config::RuleKind::kAvgBelow;
        rule.window = {30, 5min};
        break;
      case 6:
        rule.kind = config::RuleKind::kMinBelow;
        rule.window = {1, 1min};
        break;
      case 7:
        rule.kind = config::RuleKind::kMaxAbove;
        rule.window = {99.5, 1min};
        break;
      case 8:
        rule.kind = config::RuleKind::kAbsent;
        rule.absent_for = 2min;
        break;
      default:
        rule.match_metric = std::string("m?");
        rule.when = {config::CompareOp::kLess, 0.5};
        break;
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

struct Round {
  double ns_per_reading = 0;
  std::size_t events = 0;
  std::size_t bytes = 0;  // keeps the encoding from being optimised away
};

// Feeds `count` readings round-robin over the series; each series' value walks randomly (a
// fixed LCG) within [0, 100], so alerts fire and resolve now and then, as on a real site.
Round run(rules::RulesEngine* engine, ManualClock& clock, std::int64_t& ts, long count,
          const std::vector<std::string>& devices, const std::vector<std::string>& metrics) {
  std::uint64_t lcg = 42;
  std::vector<double> values(kSeries, 50.0);
  Round round;
  Reading reading;
  const auto begin = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    const int series = static_cast<int>(i % kSeries);
    reading.device = devices[series / kMetrics];
    reading.metric = metrics[series % kMetrics];
    const double step = static_cast<double>(lcg >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    values[series] = std::clamp(values[series] + step, 0.0, 100.0);
    reading.value = values[series];
    reading.ts_ns = ts;
    ts += kStepNs;
    round.bytes += encode_reading_json(reading).size();
    if (engine != nullptr) {
      clock.set(ts);
      round.events += engine->on_reading(reading).size();
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  round.ns_per_reading =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
      static_cast<double>(count);
  return round;
}

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 2'000'000;
  std::vector<std::string> devices, metrics;
  for (int d = 0; d < kDevices; ++d) {
    char name[16];
    std::snprintf(name, sizeof name, "dev-%03d", d);
    devices.emplace_back(name);
  }
  for (int m = 0; m < kMetrics; ++m) {
    char name[16];
    std::snprintf(name, sizeof name, "m%d", m);
    metrics.emplace_back(name);
  }

  ManualClock clock(kStart);
  rules::RulesEngine engine(make_rules(), clock);
  std::int64_t ts = kStart;
  // Warm-up: every series seen once, so the timed rounds measure steady state.
  run(&engine, clock, ts, kSeries, devices, metrics);

  Round best_base, best_rules;
  best_base.ns_per_reading = best_rules.ns_per_reading = 1e30;
  for (int r = 0; r < 3; ++r) {
    std::int64_t base_ts = ts;
    const Round base = run(nullptr, clock, base_ts, count, devices, metrics);
    const Round with = run(&engine, clock, ts, count, devices, metrics);
    if (base.ns_per_reading < best_base.ns_per_reading) best_base = base;
    if (with.ns_per_reading < best_rules.ns_per_reading) best_rules = with;
  }

  const auto tick_begin = std::chrono::steady_clock::now();
  const std::size_t tick_events = engine.on_tick().size();
  const auto tick_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - tick_begin)
                           .count();

  const double rules_ns = best_rules.ns_per_reading - best_base.ns_per_reading;
  const double per_rule = rules_ns / kRulesPerSeries;
  std::printf(
      "bench_rules: %d rules, %d series, %d matching rules per reading, %ld readings/round\n",
      kRules, kSeries, kRulesPerSeries, count);
  std::printf("  ingest loop, no rules (baseline): %8.1f ns/reading\n", best_base.ns_per_reading);
  std::printf("  ingest loop, with rules:          %8.1f ns/reading  (x%.2f of baseline)\n",
              best_rules.ns_per_reading, best_rules.ns_per_reading / best_base.ns_per_reading);
  std::printf("  rules cost:                       %8.1f ns/reading\n", rules_ns);
  std::printf("  per reading per matching rule:    %8.1f ns  (target < 1000 ns: %s)\n", per_rule,
              per_rule < 1000 ? "met" : "MISSED");
  std::printf("  alert events in the best round:   %zu\n", best_rules.events);
  std::printf("  on_tick over %d absent_for states: %.1f us (%zu events)\n", kSeries,
              static_cast<double>(tick_ns) / 1000.0, tick_events);
  return best_base.bytes == 0 ? 1 : 0;
}
