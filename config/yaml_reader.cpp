#include "config/yaml_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include "core/utf8.hpp"

namespace sensorgate::config {
namespace {

int one_based(int zero_based) {
  return zero_based < 0 ? 0 : zero_based + 1;
}

bool looks_like_number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string escaped_byte(char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("\\x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

// Quoted for a message; control characters and bytes that are not UTF-8 shown as \xNN, so a
// message never carries them to the terminal or the journal.
std::string in_quotes(std::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const std::size_t bad = first_invalid_utf8(text);
    for (char c : text.substr(0, bad)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        out += escaped_byte(c);
      } else {
        out += c;
      }
    }
    if (bad == text.size()) break;
    out += escaped_byte(text[bad]);
    text.remove_prefix(bad + 1);
  }
  return out + "\"";
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string near = closest(word, candidates);
  return near.empty() ? "" : "; did you mean " + in_quotes(near) + "?";
}

}  // namespace

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string alternatives(std::span<const std::string_view> words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

std::string closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    // For short words every other word is close: "3" is not a typo of "4".
    if (distance < best_distance && distance * 2 <= candidate.size()) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

Reader::Reader(std::filesystem::path file, std::filesystem::path base_dir)
    : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

void Reader::add(Diagnostic::Severity severity, const YAML::Mark& at, std::string key_path,
                 std::string message) {
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.file = file_;
  diagnostic.line = one_based(at.line);
  diagnostic.column = diagnostic.line == 0 ? 0 : one_based(at.column);
  diagnostic.key_path = std::move(key_path);
  diagnostic.message = std::move(message);
  diagnostics_.push_back(std::move(diagnostic));
}

void Reader::error(const YAML::Mark& at, std::string key_path, std::string message) {
  failed_ = true;
  add(Diagnostic::Severity::kError, at, std::move(key_path), std::move(message));
}

void Reader::warning(const YAML::Mark& at, std::string key_path, std::string message) {
  add(Diagnostic::Severity::kWarning, at, std::move(key_path), std::move(message));
}

std::vector<Diagnostic> Reader::take_diagnostics() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::make_tuple(a.line == 0, a.line, a.column) <
                            std::make_tuple(b.line == 0, b.line, b.column);
                   });
  return std::exchange(diagnostics_, {});
}

std::string Reader::got(const YAML::Node& node, bool always_quote) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "got a mapping";
    case YAML::NodeType::Sequence:
      return "got a list";
    case YAML::NodeType::Scalar:
      if (!always_quote && looks_like_number(node.Scalar())) return "got " + node.Scalar();
      return "got " + in_quotes(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "got an empty value";
}

std::optional<std::string> Reader::text(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    error(node.Mark(), path, "expected a text value, " + got(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& node, const std::string& path,
                                            std::int64_t min, std::int64_t max) {
  std::string expected;
  if (max - min <= 2) {
    std::vector<std::string> names;
    for (std::int64_t v = min; v <= max; ++v) names.push_back(std::to_string(v));
    std::vector<std::string_view> views(names.begin(), names.end());
    expected = alternatives(views);
  } else {
    expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  }
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc() && ptr == end && value >= min && value <= max) return value;
  }
  error(node.Mark(), path, "expected " + expected + ", " + got(node));
  return std::nullopt;
}

std::optional<double> Reader::number(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar() && looks_like_number(node.Scalar())) {
    double value = 0;
    std::from_chars(node.Scalar().data(), node.Scalar().data() + node.Scalar().size(), value);
    return value;
  }
  error(node.Mark(), path, "expected a number, " + got(node));
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> Reader::duration(const YAML::Node& node,
                                                         const std::string& path) {
  if (node.IsScalar()) {
    auto parsed = parse_duration(node.Scalar());
    if (parsed.ok() && parsed.value().count() > 0) return parsed.value();
    if (parsed.ok()) {
      error(node.Mark(), path, "expected a duration longer than 0, " + got(node, true));
      return std::nullopt;
    }
  }
  error(node.Mark(), path,
        "expected a duration such as 500ms, 10s, 2m, " + got(node, /*always_quote=*/true));
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> Reader::window(const YAML::Node& node,
                                                       const std::string& path) {
  if (node.IsScalar()) {
    std::string_view text = node.Scalar();
    const bool negative = text.starts_with('-');
    if (negative) text.remove_prefix(1);
    auto parsed = parse_duration(text);
    if (parsed.ok() && !negative && parsed.value().count() > 0) return parsed.value();
    if (parsed.ok()) {
      error(
          node.Mark(), path,
          "impossible window " + in_quotes(node.Scalar()) + ": expected a duration longer than 0");
      return std::nullopt;
    }
  }
  error(node.Mark(), path, "expected a duration such as 30s, 5m, 1h, " + got(node, true));
  return std::nullopt;
}

std::optional<Bytes> Reader::size(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    auto parsed = parse_size(node.Scalar());
    if (parsed.ok() && parsed.value().count > 0) return parsed.value();
    if (parsed.ok()) {
      error(node.Mark(), path, "expected a size larger than 0, " + got(node, true));
      return std::nullopt;
    }
  }
  error(node.Mark(), path, "expected a size such as 512KiB, 256MiB, 1GiB, " + got(node, true));
  return std::nullopt;
}

std::optional<std::string> Reader::choice(const YAML::Node& node, const std::string& path,
                                          std::span<const std::string_view> allowed) {
  if (node.IsScalar()) {
    for (std::string_view name : allowed) {
      if (node.Scalar() == name) return std::string(name);
    }
  }
  std::string message = "expected " + alternatives(allowed) + ", " + got(node, true);
  if (node.IsScalar()) message += did_you_mean(node.Scalar(), allowed);
  error(node.Mark(), path, message);
  return std::nullopt;
}

std::optional<std::filesystem::path> Reader::file_path(const YAML::Node& node,
                                                       const std::string& path) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    error(node.Mark(), path, "expected a file path, " + got(node));
    return std::nullopt;
  }
  const std::filesystem::path value = node.Scalar();
  if (value.is_absolute()) return value.lexically_normal();
  return (base_dir_ / value).lexically_normal();
}

std::optional<std::string> Reader::secret(const YAML::Node& node, const std::string& path,
                                          const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error(node.Mark(), path,
          "cannot read secret file " + file.string() + ": " + std::strerror(errno));
    return std::nullopt;
  }
  struct stat info {};
  std::string content;
  bool read_failed = ::fstat(fd, &info) != 0;
  std::array<char, 4096> chunk{};
  // A secret is small; the bound keeps a wrong path (say, a device) from being read forever.
  for (int rounds = 0; !read_failed && rounds < 256; ++rounds) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) read_failed = true;
    if (n <= 0) break;
    content.append(chunk.data(), static_cast<std::size_t>(n));
  }
  const int read_errno = errno;
  ::close(fd);
  if (read_failed) {
    error(node.Mark(), path,
          "cannot read secret file " + file.string() + ": " + std::strerror(read_errno));
    return std::nullopt;
  }
  if ((info.st_mode & S_IROTH) != 0) {
    warning(
        node.Mark(), path,
        "secret file " + file.string() + " is readable by other users; chmod 600 " + file.string());
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) {
    error(node.Mark(), path, "secret file " + file.string() + " is empty");
    return std::nullopt;
  }
  return content;
}

std::optional<std::vector<Entry>> Reader::entries(const YAML::Node& node, const std::string& path) {
  std::vector<Entry> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) {
    error(node.Mark(), path, "expected a mapping of keys, " + got(node));
    return std::nullopt;
  }
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) {
      error(pair.first.Mark(), path, "expected a key name, " + got(pair.first));
      continue;
    }
    const std::string& key = pair.first.Scalar();
    auto first = std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == key; });
    if (first != out.end()) {
      error(pair.first.Mark(), join_path(path, key),
            "duplicate key; first set on line " +
                std::to_string(one_based(first->key_node.Mark().line)));
      continue;
    }
    marks_[join_path(path, key)] = {one_based(pair.first.Mark().line),
                                    one_based(pair.first.Mark().column)};
    out.push_back(Entry{key, pair.first, pair.second});
  }
  return out;
}

std::optional<std::vector<YAML::Node>> Reader::items(const YAML::Node& node,
                                                     const std::string& path) {
  std::vector<YAML::Node> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) {
    error(node.Mark(), path, "expected a list, " + got(node));
    return std::nullopt;
  }
  for (const auto& item : node) out.push_back(item);
  return out;
}

void Reader::unknown_key(const Entry& entry, const std::string& path,
                         std::span<const std::string_view> allowed) {
  std::string message = "unknown key" + did_you_mean(entry.key, allowed);
  message += message.back() == '?' ? " Allowed keys: " : "; allowed keys: ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) message += ", ";
    message += allowed[i];
  }
  error(entry.key_node.Mark(), join_path(path, entry.key), message);
}

}  // namespace sensorgate::config
