// Reader: typed access to yaml-cpp nodes for the config loader. Each accessor either returns
// the value or records a Diagnostic (1-based line:column, key path, what was expected, what
// was found) and returns nullopt, so that loading goes on and reports every error at once.
// One Reader per load; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/loader.hpp"
#include "core/units.hpp"

namespace sensorgate::config {

// One key of a YAML mapping, in file order.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Reader {
 public:
  // `file` names the config in diagnostics; relative paths resolve against `base_dir`.
  Reader(std::filesystem::path file, std::filesystem::path base_dir);

  void error(const YAML::Mark& at, std::string key_path, std::string message);
  void warning(const YAML::Mark& at, std::string key_path, std::string message);
  bool failed() const { return failed_; }
  // The diagnostics so far, sorted by position (whole-file ones last).
  std::vector<Diagnostic> take_diagnostics();
  // Where each key read through entries() was written, by key path.
  std::map<std::string, SourceMark> take_marks() { return std::move(marks_); }

  // Any scalar, possibly empty (numbers and booleans as written).
  std::optional<std::string> text(const YAML::Node& node, const std::string& path);
  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& path,
                                      std::int64_t min, std::int64_t max);
  std::optional<double> number(const YAML::Node& node, const std::string& path);
  // A duration longer than 0 ("500ms", "2m").
  std::optional<std::chrono::nanoseconds> duration(const YAML::Node& node, const std::string& path);
  // A rule window: like duration, but zero and negative values are "impossible window".
  std::optional<std::chrono::nanoseconds> window(const YAML::Node& node, const std::string& path);
  // A size larger than 0 ("256MiB").
  std::optional<Bytes> size(const YAML::Node& node, const std::string& path);
  // One of `allowed`; a near miss gets a did-you-mean hint.
  std::optional<std::string> choice(const YAML::Node& node, const std::string& path,
                                    std::span<const std::string_view> allowed);
  // A non-empty path, made absolute against the config file's directory.
  std::optional<std::filesystem::path> file_path(const YAML::Node& node, const std::string& path);
  // Reads the secret file `file` named by `node`: its content without trailing newlines.
  // Missing, unreadable or empty files are errors; a file others may read is a warning.
  std::optional<std::string> secret(const YAML::Node& node, const std::string& path,
                                    const std::filesystem::path& file);

  // The entries of a mapping in file order (a null node is an empty mapping). Duplicate keys
  // are reported and dropped; anything but a mapping is reported and gives nullopt.
  std::optional<std::vector<Entry>> entries(const YAML::Node& node, const std::string& path);
  // The items of a list (a null node is an empty list).
  std::optional<std::vector<YAML::Node>> items(const YAML::Node& node, const std::string& path);
  // Reports `entry` as an unknown key, listing `allowed` with a did-you-mean hint.
  void unknown_key(const Entry& entry, const std::string& path,
                   std::span<const std::string_view> allowed);

  // "got 3", "got \"abc\"", "got a list": how a wrong value is shown. Numbers stay unquoted
  // unless `always_quote`.
  static std::string got(const YAML::Node& node, bool always_quote = false);

 private:
  void add(Diagnostic::Severity severity, const YAML::Mark& at, std::string key_path,
           std::string message);

  std::filesystem::path file_;
  std::filesystem::path base_dir_;
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, SourceMark> marks_;
  bool failed_ = false;
};

// "gateway" + "id" -> "gateway.id"; "" + "kafka" -> "kafka".
std::string join_path(const std::string& path, std::string_view key);
// "rules" + 2 -> "rules[2]".
std::string index_path(const std::string& path, std::size_t index);
// "a", "a or b", "a, b or c".
std::string alternatives(std::span<const std::string_view> words);
// The candidate closest to `word` within edit distance 2 (and at most half its length);
// empty if none.
std::string closest(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sensorgate::config
