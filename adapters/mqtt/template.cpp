#include "adapters/mqtt/template.hpp"

#include <algorithm>

namespace sensorgate::mqtt {

Template::Template(std::string_view text) : text_(text) {
  std::string literal;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '{') {
      std::size_t end = pos + 1;
      int number = 0;
      // Up to 4 digits: more is no capture an MQTT topic could have, and cannot overflow.
      while (end < text.size() && end - pos <= 4 && text[end] >= '0' && text[end] <= '9') {
        number = number * 10 + (text[end] - '0');
        ++end;
      }
      if (end > pos + 1 && end < text.size() && text[end] == '}' && number > 0) {
        if (!literal.empty()) parts_.push_back({std::move(literal), 0});
        literal.clear();
        parts_.push_back({{}, number});
        highest_capture_ = std::max(highest_capture_, number);
        pos = end + 1;
        continue;
      }
    }
    literal.push_back(text[pos]);
    ++pos;
  }
  if (!literal.empty()) parts_.push_back({std::move(literal), 0});
}

std::string Template::expand(std::span<const std::string_view> captures) const {
  std::string out;
  for (const Part& part : parts_) {
    if (part.capture == 0) {
      out += part.literal;
    } else if (static_cast<std::size_t>(part.capture) <= captures.size()) {
      out += captures[part.capture - 1];
    }
  }
  return out;
}

}  // namespace sensorgate::mqtt
