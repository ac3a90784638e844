// Template: a name built from the wildcard captures of a topic, e.g. "{1}-{2}" for the device
// and metric of an MQTT subscription. `{N}` (N = 1, 2, ...) is capture N; any other text,
// including a brace that does not form `{N}`, is literal. Immutable; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sensorgate::mqtt {

class Template {
 public:
  explicit Template(std::string_view text);

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

  std::string text_;
  std::vector<Part> parts_;
  int highest_capture_ = 0;
};

}  // namespace sensorgate::mqtt
