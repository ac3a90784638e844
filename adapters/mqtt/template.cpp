#include "adapters/mqtt/template.hpp"

#include <algorithm>

namespace sensorgate::mqtt {
namespace {

Error<TemplateError> bad_capture(std::string_view text, std::size_t at, std::string_view why) {
  return make_error(TemplateError::kBadCapture, "\"" + std::string(text) + "\": at offset " +
                                                    std::to_string(at) + ", " + std::string(why));
}

}  // namespace

Result<Template, TemplateError> Template::parse(std::string_view text) {
  Template out;
  out.text_ = std::string(text);
  std::string literal;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '}') {
      return bad_capture(text, pos, "\"}\" closes no capture {N}");
    }
    if (text[pos] != '{') {
      literal.push_back(text[pos]);
      ++pos;
      continue;
    }
    const std::size_t close = text.find('}', pos);
    if (close == std::string_view::npos) {
      return bad_capture(text, pos, "\"{\" is not closed; captures are written {1}, {2}, ...");
    }
    const std::string_view digits = text.substr(pos + 1, close - pos - 1);
    long number = 0;
    const bool decimal =
        !digits.empty() && digits.size() <= 5 && digits.front() != '0' &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (decimal) number = std::stol(std::string(digits));
    if (!decimal || number < 1 || number > kMaxCapture) {
      return bad_capture(text, pos,
                         "\"{" + std::string(digits) + "}\" is no capture; captures are {1} to {" +
                             std::to_string(kMaxCapture) + "}");
    }
    if (!literal.empty()) out.parts_.push_back({std::move(literal), 0});
    literal.clear();
    out.parts_.push_back({{}, static_cast<int>(number)});
    out.highest_capture_ = std::max(out.highest_capture_, static_cast<int>(number));
    pos = close + 1;
  }
  if (!literal.empty()) out.parts_.push_back({std::move(literal), 0});
  return out;
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
