#include "gateway/rules/glob.hpp"

#include <utility>

namespace sensorgate::rules {
namespace {

bool general_match(std::string_view pattern, std::string_view text) {
  // Greedy matching that backtracks only to the last `*`: linear in practice, O(n*m) worst.
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
  const auto first_wild = pattern_.find_first_of("*?");
  if (first_wild == std::string::npos) {
    shape_ = Shape::kExact;
    literal_ = pattern_;
  } else if (pattern_.find_first_not_of('*') == std::string::npos) {
    shape_ = Shape::kAny;
  } else if (pattern_.find_first_of("*?", first_wild + 1) == std::string::npos &&
             pattern_[first_wild] == '*' &&
             (first_wild == 0 || first_wild == pattern_.size() - 1)) {
    shape_ = first_wild == 0 ? Shape::kSuffix : Shape::kPrefix;
    literal_ = first_wild == 0 ? pattern_.substr(1) : pattern_.substr(0, first_wild);
  } else {
    shape_ = Shape::kGeneral;
  }
}

bool Glob::matches(std::string_view text) const {
  switch (shape_) {
    case Shape::kAny:
      return true;
    case Shape::kExact:
      return text == literal_;
    case Shape::kPrefix:
      return text.starts_with(literal_);
    case Shape::kSuffix:
      return text.ends_with(literal_);
    case Shape::kGeneral:
      return general_match(pattern_, text);
  }
  return false;
}

}  // namespace sensorgate::rules
