#include "adapters/mqtt/topic_filter.hpp"

namespace sensorgate::mqtt {

std::optional<TopicFilter> TopicFilter::parse(std::string_view filter) {
  if (filter.empty()) return std::nullopt;
  TopicFilter out;
  out.text_ = std::string(filter);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!out.levels_.empty() && out.levels_.back().kind == Kind::kHash) return std::nullopt;
    if (level == "+" || level == "#") {
      out.levels_.push_back({level == "+" ? Kind::kPlus : Kind::kHash, {}});
      ++out.wildcards_;
    } else if (level.find_first_of("+#") != std::string_view::npos) {
      return std::nullopt;
    } else {
      out.levels_.push_back({Kind::kLiteral, std::string(level)});
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool TopicFilter::match(std::string_view topic, std::vector<std::string_view>& captures) const {
  captures.clear();
  if (!topic.empty() && topic.front() == '$' && levels_.front().kind != Kind::kLiteral) {
    return false;
  }
  std::size_t pos = 0;
  bool consumed = false;  // every level of the topic has been matched
  for (const Level& level : levels_) {
    if (level.kind == Kind::kHash) {
      captures.push_back(consumed ? std::string_view() : topic.substr(pos));
      return true;
    }
    if (consumed) return false;
    const std::size_t slash = topic.find('/', pos);
    const std::string_view part =
        topic.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (slash == std::string_view::npos) {
      consumed = true;
    } else {
      pos = slash + 1;
    }
    if (level.kind == Kind::kPlus) {
      captures.push_back(part);
    } else if (part != level.literal) {
      return false;
    }
  }
  return consumed;
}

}  // namespace sensorgate::mqtt
