// TopicFilter: an MQTT subscription filter with `+` and `#` wildcards, matched against the
// topics of received messages; what each wildcard level matched is captured for the device and
// metric templates ({1}, {2}, ...). Immutable after parse; match() is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sensorgate::mqtt {

class TopicFilter {
 public:
  // nullopt unless `filter` is a valid MQTT filter: not empty, `+` and `#` only as whole levels,
  // `#` only as the last level.
  static std::optional<TopicFilter> parse(std::string_view filter);

  // True if `topic` matches, following MQTT 3.1.1 section 4.7: `+` matches exactly one level
  // (possibly empty), `#` the rest including none ("a/#" matches "a"), and topics starting with
  // `$` never match a filter that starts with a wildcard. On a match `captures` holds one entry
  // per wildcard in filter order: the level for `+`, the rest of the topic ("x/y", or "" for none)
  // for `#`. The views point into `topic`.
  bool match(std::string_view topic, std::vector<std::string_view>& captures) const;

  const std::string& text() const { return text_; }
  // How many wildcards the filter has: the highest capture its templates may use.
  int wildcard_count() const { return wildcards_; }

 private:
  enum class Kind { kLiteral, kPlus, kHash };
  struct Level {
    Kind kind;
    std::string literal;
  };

  std::string text_;
  std::vector<Level> levels_;
  int wildcards_ = 0;
};

}  // namespace sensorgate::mqtt
