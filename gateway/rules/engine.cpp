#include "gateway/rules/engine.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "gateway/rules/glob.hpp"

namespace sensorgate::rules {
namespace {

using config::CompareOp;
using config::RuleKind;

constexpr std::int64_t kWindowSlots = 1024;
constexpr double kNsPerSecond = 1e9;

bool compare(const config::Comparison& c, double v) {
  switch (c.op) {
    case CompareOp::kGreater:
      return v > c.threshold;
    case CompareOp::kGreaterEqual:
      return v >= c.threshold;
    case CompareOp::kLess:
      return v < c.threshold;
    case CompareOp::kLessEqual:
      return v <= c.threshold;
    case CompareOp::kEqual:
      return v == c.threshold;
    case CompareOp::kNotEqual:
      return v != c.threshold;
  }
  return false;
}

bool is_windowed(RuleKind kind) {
  return kind == RuleKind::kAvgAbove || kind == RuleKind::kAvgBelow ||
         kind == RuleKind::kMinBelow || kind == RuleKind::kMaxAbove;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::optional<double> numeric_value(const ReadingValue& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d)) return std::nullopt;
    return *d;
  }
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

struct CompiledRule {
  config::RuleConfig config;
  Glob device;
  Glob metric;
  std::int64_t slot_width_ns = 1;  // windowed rules
  std::int64_t slot_count = 1;
};

// A sliding window as time slots. For avg rules each slot holds the count and sum of its
// readings; for min/max rules the deque is a monotonic queue with at most one entry per slot.
struct WindowState {
  struct Slot {
    std::int64_t index;
    double value;  // avg: the sum of the slot's readings; min/max: the extreme
    std::uint32_t count;
  };
  std::deque<Slot> slots;
  std::int64_t newest_slot = std::numeric_limits<std::int64_t>::min();
  double sum = 0;
  std::uint64_t count = 0;

  // Adds a reading and returns the window's aggregate for `kind`.
  double add(const CompiledRule& rule, double v, std::int64_t ts_ns) {
    const std::int64_t slot = std::max(floor_div(ts_ns, rule.slot_width_ns), newest_slot);
    newest_slot = slot;
    const std::int64_t oldest_kept = slot - rule.slot_count + 1;
    const RuleKind kind = rule.config.kind;
    const bool avg = kind == RuleKind::kAvgAbove || kind == RuleKind::kAvgBelow;
    while (!slots.empty() && slots.front().index < oldest_kept) {
      if (avg) {
        sum -= slots.front().value;
        count -= slots.front().count;
      }
      slots.pop_front();
    }
    if (avg) {
      if (slots.empty()) sum = 0;  // no drift carried over from evicted slots
      if (!slots.empty() && slots.back().index == slot) {
        slots.back().value += v;
        ++slots.back().count;
      } else {
        slots.push_back({slot, v, 1});
      }
      sum += v;
      ++count;
      return sum / static_cast<double>(count);
    }
    const bool keep_min = kind == RuleKind::kMinBelow;
    // Entries no better than v can never be the extreme again while v is in the window.
    while (!slots.empty() && (keep_min ? slots.back().value >= v : slots.back().value <= v)) {
      slots.pop_back();
    }
    if (slots.empty() || slots.back().index != slot) slots.push_back({slot, v, 1});
    return slots.front().value;
  }
};

struct RuleState {
  std::uint32_t rule = 0;
  bool firing = false;
  bool pending = false;  // the firing condition holds, `for:` not yet reached
  bool has_previous = false;
  std::int64_t pending_since_ns = 0;
  std::int64_t previous_ts_ns = 0;
  double previous_value = 0;
  std::int64_t last_seen_ns = 0;  // absent_for, by the clock
  std::unique_ptr<WindowState> window;
};

struct Series {
  std::string device;
  std::string metric;
  std::vector<RuleState> states;  // one per matching rule, in rule order
};

}  // namespace

class RulesEngine::Impl {
 public:
  Impl(std::vector<config::RuleConfig> rules, const Clock& clock) : clock_(clock) {
    rules_.reserve(rules.size());
    for (auto& config : rules) {
      Glob device(config.match_device);
      Glob metric(config.match_metric);
      CompiledRule rule{std::move(config), std::move(device), std::move(metric)};
      if (is_windowed(rule.config.kind)) {
        const std::int64_t window = std::max<std::int64_t>(rule.config.window.window.count(), 1);
        rule.slot_width_ns = (window + kWindowSlots - 1) / kWindowSlots;
        rule.slot_count = (window + rule.slot_width_ns - 1) / rule.slot_width_ns;
      }
      rules_.push_back(std::move(rule));
    }
  }

  std::vector<AlertEvent> on_reading(const Reading& reading) {
    std::vector<AlertEvent> events;
    std::lock_guard lock(mutex_);
    Series& series = find_or_add(reading.device, reading.metric);
    if (series.states.empty()) return events;
    const std::optional<double> value = numeric_value(reading.value);
    std::optional<std::int64_t> now;
    for (RuleState& state : series.states) {
      const CompiledRule& rule = rules_[state.rule];
      if (rule.config.kind == RuleKind::kAbsent) {
        if (!now) now = clock_.now_ns();
        if (state.firing) {
          state.firing = false;
          events.push_back(make_event(rule, series, AlertState::kResolved,
                                      seconds_between(state.last_seen_ns, *now),
                                      absent_seconds(rule), *now));
        }
        state.last_seen_ns = *now;
      } else if (value) {
        judge(rule, series, state, *value, reading.ts_ns, events);
      }
    }
    return events;
  }

  std::vector<AlertEvent> on_tick() {
    std::vector<AlertEvent> events;
    std::lock_guard lock(mutex_);
    if (absent_.empty()) return events;
    const std::int64_t now = clock_.now_ns();
    for (const auto& [series, index] : absent_) {
      RuleState& state = series->states[index];
      const CompiledRule& rule = rules_[state.rule];
      if (state.firing || now - state.last_seen_ns < rule.config.absent_for.count()) continue;
      state.firing = true;
      events.push_back(make_event(rule, *series, AlertState::kFiring,
                                  seconds_between(state.last_seen_ns, now), absent_seconds(rule),
                                  now));
    }
    return events;
  }

  std::vector<FiringKey> firing() const {
    std::vector<FiringKey> keys;
    std::lock_guard lock(mutex_);
    for (const auto& [key, series] : series_) {
      for (const RuleState& state : series.states) {
        if (state.firing)
          keys.push_back({rules_[state.rule].config.name, series.device, series.metric});
      }
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::vector<FiringKey> restore_firing(const std::vector<FiringKey>& keys) {
    std::vector<FiringKey> dropped;
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.now_ns();
    for (const FiringKey& key : keys) {
      Series& series = find_or_add(key.device, key.metric);
      const auto state =
          std::find_if(series.states.begin(), series.states.end(),
                       [&](const RuleState& s) { return rules_[s.rule].config.name == key.rule; });
      if (state == series.states.end()) {
        dropped.push_back(key);
        continue;
      }
      state->firing = true;
      state->last_seen_ns = now;
    }
    return dropped;
  }

 private:
  static double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
    return static_cast<double>(to_ns - from_ns) / kNsPerSecond;
  }

  static double absent_seconds(const CompiledRule& rule) {
    return static_cast<double>(rule.config.absent_for.count()) / kNsPerSecond;
  }

  Series& find_or_add(const std::string& device, const std::string& metric) {
    // One reused key buffer: the lookup allocates only for a new series.
    key_.assign(device);
    key_ += '\0';
    key_ += metric;
    if (auto it = series_.find(key_); it != series_.end()) return it->second;
    Series& series = series_[key_];
    series.device = device;
    series.metric = metric;
    const std::int64_t now = clock_.now_ns();
    for (std::uint32_t i = 0; i < rules_.size(); ++i) {
      const CompiledRule& rule = rules_[i];
      if (!rule.device.matches(device) || !rule.metric.matches(metric)) continue;
      RuleState state;
      state.rule = i;
      state.last_seen_ns = now;
      if (is_windowed(rule.config.kind)) state.window = std::make_unique<WindowState>();
      series.states.push_back(std::move(state));
      // Map nodes never move, so the pointer stays valid for the engine's life.
      if (rule.config.kind == RuleKind::kAbsent) {
        absent_.emplace_back(&series, series.states.size() - 1);
      }
    }
    return series;
  }

  // Judges one value for a threshold, rate or windowed rule and records a transition.
  void judge(const CompiledRule& rule, const Series& series, RuleState& state, double v,
             std::int64_t ts_ns, std::vector<AlertEvent>& events) {
    const config::RuleConfig& c = rule.config;
    double judged = v;
    double threshold = 0;
    bool bad = false;
    std::optional<bool> cleared;  // set when clearing differs from "not bad"
    switch (c.kind) {
      case RuleKind::kThreshold:
        threshold = c.when.threshold;
        bad = compare(c.when, v);
        if (c.clear) cleared = compare(*c.clear, v);
        break;
      case RuleKind::kRateAbove:
      case RuleKind::kRateBelow: {
        const bool first = !state.has_previous;
        if (!first && ts_ns <= state.previous_ts_ns) return;
        const double previous_value = state.previous_value;
        const std::int64_t previous_ts = state.previous_ts_ns;
        state.has_previous = true;
        state.previous_value = v;
        state.previous_ts_ns = ts_ns;
        if (first) return;
        judged = (v - previous_value) / static_cast<double>(ts_ns - previous_ts) *
                 static_cast<double>(c.rate.per.count());
        threshold = c.rate.delta;
        bad = c.kind == RuleKind::kRateAbove ? judged > threshold : judged < threshold;
        break;
      }
      case RuleKind::kAvgAbove:
      case RuleKind::kMaxAbove:
        judged = state.window->add(rule, v, ts_ns);
        threshold = c.window.value;
        bad = judged > threshold;
        break;
      case RuleKind::kAvgBelow:
      case RuleKind::kMinBelow:
        judged = state.window->add(rule, v, ts_ns);
        threshold = c.window.value;
        bad = judged < threshold;
        break;
      case RuleKind::kAbsent:
        return;
    }
    if (state.firing) {
      if (cleared.value_or(!bad)) {
        state.firing = false;
        state.pending = false;
        events.push_back(make_event(rule, series, AlertState::kResolved, judged,
                                    c.clear ? c.clear->threshold : threshold, ts_ns));
      }
      return;
    }
    if (!bad) {
      state.pending = false;
      return;
    }
    if (!state.pending) {
      state.pending = true;
      state.pending_since_ns = ts_ns;
    }
    if (ts_ns - state.pending_since_ns >= c.hold_for.count()) {
      state.firing = true;
      state.pending = false;
      events.push_back(make_event(rule, series, AlertState::kFiring, judged, threshold, ts_ns));
    }
  }

  AlertEvent make_event(const CompiledRule& rule, const Series& series, AlertState state,
                        double value, double threshold, std::int64_t ts_ns) const {
    AlertEvent event;
    event.rule = rule.config.name;
    event.device = series.device;
    event.metric = series.metric;
    event.severity = rule.config.severity;
    event.state = state;
    event.value = value;
    event.threshold = threshold;
    event.ts_ns = ts_ns;
    event.raised_at_ns = clock_.now_ns();
    event.message = rule.config.message.empty() ? default_alert_message(rule.config, event)
                                                : expand_alert_template(rule.config.message, event);
    if (!rule.config.mqtt.empty())
      event.mqtt_topic = expand_alert_template(rule.config.mqtt, event);
    return event;
  }

  const Clock& clock_;
  std::vector<CompiledRule> rules_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Series> series_;
  std::vector<std::pair<Series*, std::size_t>> absent_;  // every absent_for state
  std::string key_;
};

RulesEngine::RulesEngine(std::vector<config::RuleConfig> rules, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(rules), clock)) {}

RulesEngine::~RulesEngine() = default;

std::vector<AlertEvent> RulesEngine::on_reading(const Reading& reading) {
  return impl_->on_reading(reading);
}

std::vector<AlertEvent> RulesEngine::on_tick() {
  return impl_->on_tick();
}

std::vector<FiringKey> RulesEngine::firing() const {
  return impl_->firing();
}

std::vector<FiringKey> RulesEngine::restore_firing(const std::vector<FiringKey>& keys) {
  return impl_->restore_firing(keys);
}

}  // namespace sensorgate::rules
