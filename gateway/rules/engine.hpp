// RulesEngine: evaluates each mapped reading against the configured rules (threshold with
// hysteresis and `for:`, rate, sliding windows, absent_for) per series (device + metric) and
// returns one AlertEvent per firing/resolved transition. Thread-safe: one internal mutex
// serialises every call, so the ingest path (on_reading) and the rules timer (on_tick) may call
// from different threads; calls are short and never block on I/O.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/reading.hpp"
#include "gateway/rules/alert.hpp"

namespace sensorgate::rules {

// One rule firing on one series: what must survive a restart.
struct FiringKey {
  std::string rule;
  std::string device;
  std::string metric;
  friend auto operator<=>(const FiringKey&, const FiringKey&) = default;
};

// Semantics, per rule and matching series, judged on each reading in arrival order:
// - Values: a double counts as is, a bool as 0/1; strings and non-finite numbers are not judged
//   (they still count as presence for absent_for).
// - threshold: fires when `when` has held for at least `for:` (by reading ts; 0: at once),
//   resolves when `clear` holds (default: `when` no longer holds).
// - rate_above/rate_below: (v - v_prev) / (t - t_prev) * per against delta, signed (use a
//   negative delta with rate_below for "falls faster than"); a reading not newer than the
//   previous one is skipped. Resolves when the bound no longer holds.
// - avg_above/avg_below/min_below/max_above: over the readings of the last `window` by reading
//   ts. Memory is bounded: the window is cut into at most 1024 time slots of window/1024 each,
//   aggregated (count+sum, or the running min/max in a monotonic queue), so the window's edge
//   is exact to one slot and a series holds at most 1024 aggregates per rule whatever its
//   rate. A reading older than the series' newest counts in the newest slot.
// - `for:` applies to rate and windowed rules the same way as to threshold rules.
// - absent_for: by the clock, checked by on_tick; fires once per silence of a series seen at
//   least once since start (or restored firing), resolves on its next reading.
// Each series keeps the state of its matching rules from its first reading on; the set of
// matching rules is computed once per series, so a reading costs one hash lookup plus
// O(matching rules). Series are never forgotten (their number is bounded by the mappings).
class RulesEngine {
 public:
  // `clock` must outlive the engine. Rules are expected to be validated by the config loader.
  RulesEngine(std::vector<config::RuleConfig> rules, const Clock& clock);
  ~RulesEngine();
  RulesEngine(const RulesEngine&) = delete;
  RulesEngine& operator=(const RulesEngine&) = delete;

  // Judges `reading` against every rule matching its series; returns the transitions it caused
  // (usually none), in rule order.
  std::vector<AlertEvent> on_reading(const Reading& reading);

  // Fires absent_for rules whose series have been silent for at least absent_for by the clock.
  // Called by the rules timer, e.g. every second.
  std::vector<AlertEvent> on_tick();

  // Every rule/series pair firing now, sorted.
  std::vector<FiringKey> firing() const;

  // Marks these pairs firing, as firing() returned them before a restart, without emitting
  // events: a restored series stays quiet while still bad and resolves when it clears. Call
  // before the first reading. Returns the keys it dropped because no rule of that name matches
  // that series any more (the caller may resolve or log them).
  std::vector<FiringKey> restore_firing(const std::vector<FiringKey>& keys);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sensorgate::rules
