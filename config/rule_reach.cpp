#include "config/rule_reach.hpp"

namespace sensorgate::config {

bool globs_overlap(std::string_view a, std::string_view b) {
  // reachable[i][j]: some name takes a[0..i) and b[0..j) to the same point. A star may stay
  // put while the other side advances, so fill in order of i, then j.
  std::vector<std::vector<bool>> reachable(a.size() + 1, std::vector<bool>(b.size() + 1, false));
  reachable[0][0] = true;
  for (std::size_t i = 0; i <= a.size(); ++i) {
    for (std::size_t j = 0; j <= b.size(); ++j) {
      if (!reachable[i][j]) continue;
      const bool a_star = i < a.size() && a[i] == '*';
      const bool b_star = j < b.size() && b[j] == '*';
      if (a_star) reachable[i + 1][j] = true;  // the star matches nothing more
      if (b_star) reachable[i][j + 1] = true;
      if (i < a.size() && j < b.size()) {
        if (a_star) reachable[i][j + 1] = true;  // a's star swallows b's next character
        if (b_star) reachable[i + 1][j] = true;
        if (!a_star && !b_star && (a[i] == '?' || b[j] == '?' || a[i] == b[j])) {
          reachable[i + 1][j + 1] = true;
        }
      }
    }
  }
  return reachable[a.size()][b.size()];
}

std::string template_glob(std::string_view text) {
  std::string glob;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      glob += text[i];
      continue;
    }
    if (glob.empty() || glob.back() != '*') glob += '*';
    i = close;
  }
  return glob;
}

std::vector<ReadingShape> reading_shapes(const std::vector<AdapterConfig>& adapters) {
  std::vector<ReadingShape> shapes;
  for (const AdapterConfig& adapter : adapters) {
    if (adapter.syntax == nullptr) continue;
    for (ReadingShape& shape : adapter.syntax->shapes(adapter)) shapes.push_back(std::move(shape));
  }
  return shapes;
}

bool rule_can_match(const RuleConfig& rule, const std::vector<ReadingShape>& shapes) {
  for (const ReadingShape& shape : shapes) {
    if (globs_overlap(rule.match_device, shape.device) &&
        globs_overlap(rule.match_metric, shape.metric)) {
      return true;
    }
  }
  return false;
}

}  // namespace sensorgate::config
