// Key tables of the rules: what a rule matches, its one kind (threshold, rate, window or
// absence), and what it says when it fires. Checks that each rule has exactly one kind.
#include <algorithm>
#include <array>

#include "config/rule_expression.hpp"
#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

constexpr std::array<std::string_view, 8> kKindKeys{"when",      "rate_above", "rate_below",
                                                    "avg_above", "avg_below",  "min_below",
                                                    "max_above", "absent_for"};
constexpr std::array<std::string_view, 3> kSeverities{"info", "warning", "critical"};

std::optional<Comparison> comparison(Reader& reader, const YAML::Node& node,
                                     const std::string& path) {
  auto text = reader.text(node, path);
  if (!text) return std::nullopt;
  auto parsed = parse_comparison(*text);
  if (!parsed.ok()) {
    reader.error(node.Mark(), path, parsed.error().message);
    return std::nullopt;
  }
  return parsed.value();
}

using S = RuleConfig;

Key<S> threshold_key() {
  return make_key<S>(
             "when", "comparison",
             "Threshold rule: fires while the comparison holds, e.g. `value > 8.5`; op one of "
             "`>` `>=` `<` `<=` `==` `!=`.",
             [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
               out.kind = RuleKind::kThreshold;
               if (auto value = comparison(reader, node, path)) out.when = *value;
             },
             [](const S& s) {
               return s.kind == RuleKind::kThreshold ? format_comparison(s.when) : "";
             })
      .by_default("");
}

Key<S> rate_key(std::string_view name, RuleKind kind, std::string description) {
  return make_key<S>(
      name, "mapping", std::move(description),
      [kind](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
        out.kind = kind;
        parse_mapping(reader, node, path, rate_keys(), out.rate);
      },
      [kind](const S& s) {
        if (s.kind != kind) return std::string();
        return "delta " + format_number(s.rate.delta) + " per " + format_duration(s.rate.per);
      });
}

Key<S> window_key(std::string_view name, RuleKind kind, std::string description) {
  return make_key<S>(
      name, "mapping", std::move(description),
      [kind](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
        out.kind = kind;
        parse_mapping(reader, node, path, window_keys(), out.window);
      },
      [kind](const S& s) {
        if (s.kind != kind) return std::string();
        return format_number(s.window.value) + " over " + format_duration(s.window.window);
      });
}

// Reports a key that only makes sense next to `when`.
void require_when(Reader& reader, const std::string& path, const std::vector<Entry>& entries,
                  std::string_view key) {
  auto has = [&](std::string_view name) {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const Entry& e) { return e.key == name; });
  };
  if (!has(key) || has("when")) return;
  auto entry =
      std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  reader.error(entry->key_node.Mark(), join_path(path, key),
               "only allowed with when (a threshold rule)");
}

void check_rule(Reader& reader, const YAML::Node& node, const std::string& path,
                const std::vector<Entry>& entries) {
  const Entry* first = nullptr;
  for (const Entry& entry : entries) {
    if (std::find(kKindKeys.begin(), kKindKeys.end(), entry.key) == kKindKeys.end()) continue;
    if (first == nullptr) {
      first = &entry;
      continue;
    }
    reader.error(
        entry.key_node.Mark(), join_path(path, entry.key),
        "conflicts with " + first->key + "; a rule has exactly one of " + alternatives(kKindKeys));
  }
  if (first == nullptr) {
    reader.error(node.Mark(), path, "needs one of " + alternatives(kKindKeys));
  }
  require_when(reader, path, entries, "clear");
  require_when(reader, path, entries, "for");
}

void parse_rule(Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
  out.mark = {node.Mark().line + 1, node.Mark().column + 1};
  const std::vector<Entry> entries = parse_mapping(reader, node, path, rule_keys(), out);
  if (node.IsMap()) check_rule(reader, node, path, entries);
}

}  // namespace

std::span<const std::string_view> rule_kind_keys() {
  return kKindKeys;
}

const KeyTable<RuleConfig>& rule_keys() {
  static const KeyTable<S> table{
      text_key("name", &S::name, "Names the rule in alerts; unique.", kName).required(),
      make_key<S>(
          "match", "mapping", "Which readings the rule watches: {device, metric} globs.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            RuleMatch match;
            parse_mapping(reader, node, path, match_keys(), match);
            out.match_device = match.device;
            out.match_metric = match.metric;
          },
          [](const S& s) { return "device " + s.match_device + ", metric " + s.match_metric; }),
      threshold_key(),
      make_key<S>(
          "clear", "comparison",
          "With when: the alert clears once this holds (hysteresis), e.g. `value < 8.0`.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            out.clear = comparison(reader, node, path);
          },
          [](const S& s) { return s.clear ? format_comparison(*s.clear) : ""; })
          .by_default("when no longer holds"),
      make_key<S>(
          "for", "duration", "With when: fire only after the comparison held this long.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            if (auto value = reader.window(node, path)) out.hold_for = *value;
          },
          [](const S& s) { return s.hold_for.count() > 0 ? format_duration(s.hold_for) : ""; })
          .by_default("fire at once"),
      rate_key("rate_above", RuleKind::kRateAbove,
               "Rate rule: fires when the change per `per` (from one reading to the next, "
               "scaled) is above delta."),
      rate_key("rate_below", RuleKind::kRateBelow,
               "Rate rule: fires when the change per `per` is below delta; signed, so a "
               "negative delta means falls faster than."),
      window_key("avg_above", RuleKind::kAvgAbove,
                 "Window rule: fires when the average over window is above value."),
      window_key("avg_below", RuleKind::kAvgBelow,
                 "Window rule: fires when the average over window is below value."),
      window_key("min_below", RuleKind::kMinBelow,
                 "Window rule: fires when the minimum over window is below value."),
      window_key("max_above", RuleKind::kMaxAbove,
                 "Window rule: fires when the maximum over window is above value."),
      make_key<S>(
          "absent_for", "duration",
          "Absence rule: fires when a matching device sent no reading for this long.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            out.kind = RuleKind::kAbsent;
            if (auto value = reader.window(node, path)) out.absent_for = *value;
          },
          [](const S& s) {
            return s.kind == RuleKind::kAbsent ? format_duration(s.absent_for) : "";
          }),
      word_choice_key("severity", &S::severity, kSeverities, "Severity of the alert event."),
      text_key("mqtt", &S::mqtt,
               "Also publish the alert to this local MQTT topic; template over {device}, "
               "{metric}, {rule}.",
               kAnyText),
      text_key("message", &S::message, "Text of the alert (template like mqtt).", kAnyText),
  };
  return table;
}

const KeyTable<RuleMatch>& match_keys() {
  static const KeyTable<RuleMatch> table{
      text_key("device", &RuleMatch::device, "Device name glob (* and ?)."),
      text_key("metric", &RuleMatch::metric, "Metric name glob (* and ?)."),
  };
  return table;
}

const KeyTable<RateSpec>& rate_keys() {
  static const KeyTable<RateSpec> table{
      number_key("delta", &RateSpec::delta, "Change of the value.").required(),
      make_key<RateSpec>(
          "per", "duration", "Time the change is measured over.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, RateSpec& out) {
            if (auto value = reader.window(node, path)) out.per = *value;
          },
          [](const RateSpec& s) { return format_duration(s.per); }),
  };
  return table;
}

const KeyTable<WindowSpec>& window_keys() {
  static const KeyTable<WindowSpec> table{
      number_key("value", &WindowSpec::value, "The bound.").required(),
      make_key<WindowSpec>(
          "window", "duration", "Sliding window the average, minimum or maximum is taken over.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, WindowSpec& out) {
            if (auto value = reader.window(node, path)) out.window = *value;
          },
          [](const WindowSpec& s) { return format_duration(s.window); }),
  };
  return table;
}

void parse_rules(Reader& reader, const YAML::Node& node, const std::string& path,
                 std::vector<RuleConfig>& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string item_path = index_path(path, i);
    RuleConfig rule;
    parse_rule(reader, item, item_path, rule);
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const RuleConfig& r) { return r.name == rule.name; });
    if (!rule.name.empty() && same != out.end()) {
      reader.error(item["name"].Mark(), join_path(item_path, "name"),
                   "duplicate rule name \"" + rule.name + "\"; first used by " +
                       index_path(path, static_cast<std::size_t>(same - out.begin())));
    }
    out.push_back(std::move(rule));
  }
}

}  // namespace sensorgate::config
