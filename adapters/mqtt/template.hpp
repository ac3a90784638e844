// Template: a name built from the wildcard captures of a topic, e.g. "{1}-{2}" for the device
// and metric of an MQTT subscription. `{N}` (N = 1, 2, ... up to kMaxCapture) is capture N; every
// other character is literal, and a brace that does not form `{N}` is an error, so a typo such
// as "{-1}" or "{1" is reported instead of becoming part of a device name. The one parser of the
// template grammar: the settings check and the mapping both use it. Immutable; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace sensorgate::mqtt {

enum class TemplateError {
  kBadCapture,  // a brace that does not form {N} with 1 <= N <= kMaxCapture
};

class Template {
 public:
  // An MQTT topic has at most 65535 bytes, so no filter has more wildcards than this.
  static constexpr int kMaxCapture = 32768;

  // Errors (kBadCapture) say which brace and why, e.g. "\"dev-{0}\": at offset 4, \"{0}\" is no
  // capture; captures are {1} to {32768}".
  static Result<Template, TemplateError> parse(std::string_view text);

  // The text with each {N} replaced by captures[N-1]; a capture beyond `captures` gives "".
  std::string expand(std::span<const std::string_view> captures) const;

  // The highest N used by a {N}; 0 if none.
  int highest_capture() const { return highest_capture_; }
  const std::string& text() const { return text_; }

 private:
  struct Part {
    std::string literal;  // used when capture == 0
    int capture = 0;      // 1-based capture number
  };

  Template() = default;

  std::string text_;
  std::vector<Part> parts_;
  int highest_capture_ = 0;
};

}  // namespace sensorgate::mqtt
