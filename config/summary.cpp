// render_summary: the effective configuration on one screen, from the same key tables that
// parse it, so every key (default or not) shows as it will be used.
#include <algorithm>

#include "config/loader.hpp"
#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

constexpr std::size_t kWidth = 100;

// "label     item item item", wrapped at kWidth with continuation lines indented.
void add_line(std::string& out, std::string_view label, const std::vector<std::string>& items,
              std::size_t indent) {
  std::string line(indent, ' ');
  line += label;
  const std::size_t column = std::max<std::size_t>(12, line.size() + 1);
  line.resize(column, ' ');
  bool first = true;
  for (const std::string& item : items) {
    if (!first && line.size() + 1 + item.size() > kWidth) {
      out += line + "\n";
      line.assign(column, ' ');
      first = true;
    }
    if (!first) line += ' ';
    line += item;
    first = false;
  }
  out += line + "\n";
}

std::string rule_kind_text(const RuleConfig& rule) {
  for (const Key<RuleConfig>& key : rule_keys()) {
    const auto kinds = rule_kind_keys();
    if (std::find(kinds.begin(), kinds.end(), key.doc.name) == kinds.end()) continue;
    const std::string shown = key.show(rule);
    if (!shown.empty()) return std::string(key.doc.name) + " " + shown;
  }
  return {};
}

}  // namespace

std::string render_summary(const Config& config) {
  std::string out = "config " + config.source.string() + "\n";
  add_line(out, "gateway", summary_items(gateway_keys(), config.gateway), 0);
  add_line(out, "buffer", summary_items(buffer_keys(), config.buffer), 0);
  add_line(out, "kafka", summary_items(kafka_keys(), config.kafka), 0);
  add_line(out, "adapters", {std::to_string(config.adapters.size())}, 0);
  for (const AdapterConfig& adapter : config.adapters) {
    std::vector<std::string> items{"(" + adapter.type + ")"};
    if (adapter.syntax != nullptr) {
      for (std::string& item : adapter.syntax->summary(adapter, config)) {
        items.push_back(std::move(item));
      }
    }
    add_line(out, adapter.name, items, 2);
  }
  add_line(out, "rules", {std::to_string(config.rules.size())}, 0);
  for (const RuleConfig& rule : config.rules) {
    // The kind first; the other keys (match, severity, ...) after it.
    std::vector<std::string> items{rule_kind_text(rule)};
    const auto kinds = rule_kind_keys();
    for (const Key<RuleConfig>& key : rule_keys()) {
      if (key.doc.name == "name" ||
          std::find(kinds.begin(), kinds.end(), key.doc.name) != kinds.end()) {
        continue;
      }
      const std::string shown = key.show ? key.show(rule) : "";
      if (!shown.empty()) items.push_back(std::string(key.doc.name) + "=" + shown);
    }
    add_line(out, rule.name, items, 2);
  }
  add_line(out, "http", summary_items(http_keys(), config.http), 0);
  return out;
}

}  // namespace sensorgate::config
