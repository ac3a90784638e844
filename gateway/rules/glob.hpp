// Glob: a `*` / `?` pattern over device and metric names (rules' `match:`), compiled once so a
// test costs no allocation. Immutable after construction; safe to share between threads.
#pragma once

#include <string>
#include <string_view>

namespace sensorgate::rules {

// `*` matches any run of characters (also none), `?` exactly one character; every other
// character matches itself. There is no escape and no character class.
class Glob {
 public:
  explicit Glob(std::string pattern);

  bool matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  enum class Shape { kAny, kExact, kPrefix, kSuffix, kGeneral };

  std::string pattern_;
  Shape shape_;
  std::string literal_;  // kExact: the text; kPrefix/kSuffix: the part without the `*`
};

}  // namespace sensorgate::rules
