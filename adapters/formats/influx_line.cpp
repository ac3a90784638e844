#include "adapters/formats/influx_line.hpp"

#include <charconv>
#include <cmath>

#include "adapters/formats/epoch_time.hpp"
#include "core/utf8.hpp"

namespace sensorgate::formats {
namespace {

using adapters::RejectReason;

bool is_escapable(char c) {
  return c == ',' || c == '=' || c == ' ' || c == '\\' || c == '"';
}

Result<ReadingValue, RejectReason> parse_field_value(std::string_view raw) {
  if (raw == "t" || raw == "T" || raw == "true" || raw == "True" || raw == "TRUE") {
    return ReadingValue(true);
  }
  if (raw == "f" || raw == "F" || raw == "false" || raw == "False" || raw == "FALSE") {
    return ReadingValue(false);
  }
  const auto not_a_number = [&] {
    return make_error(RejectReason::kBadNumber,
                      "field value " + std::string(raw) + " is not a finite number");
  };
  if (raw.empty()) return not_a_number();
  const char* begin = raw.data();
  const char* end = raw.data() + raw.size();
  if (raw.back() == 'i') {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end - 1, value);
    if (ec != std::errc() || ptr != end - 1) return not_a_number();
    return ReadingValue(static_cast<double>(value));
  }
  if (raw.back() == 'u') {
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end - 1, value);
    if (ec != std::errc() || ptr != end - 1) return not_a_number();
    return ReadingValue(static_cast<double>(value));
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return not_a_number();
  return ReadingValue(value);
}

class LineParser {
 public:
  explicit LineParser(std::string_view line) : text_(line) {}

  Result<LinePoint, RejectReason> parse() {
    LinePoint point;
    point.measurement = read_name(", ");
    if (point.measurement.empty()) return syntax("expected a measurement name");
    while (peek() == ',') {
      ++pos_;
      std::string key = read_name(",= ");
      if (key.empty()) return syntax("expected a tag key");
      if (peek() != '=') return syntax("expected '=' after tag key " + key);
      ++pos_;
      std::string value = read_name(", ");
      if (value.empty()) return syntax("expected a value for tag " + key);
      point.tags.emplace_back(std::move(key), std::move(value));
    }
    if (peek() != ' ') return syntax("expected a space before the fields");
    skip_spaces();
    while (true) {
      std::string key = read_name(",= ");
      if (key.empty()) return syntax("expected a field key");
      if (peek() != '=') return syntax("expected '=' after field key " + key);
      ++pos_;
      if (peek() == '"') {
        auto text = read_quoted();
        if (!text) return syntax("unterminated string value of field " + key);
        point.fields.emplace_back(std::move(key), std::move(*text));
      } else {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ' ') ++pos_;
        auto value = parse_field_value(text_.substr(start, pos_ - start));
        if (!value.ok()) {
          return make_error(value.error().code, "field " + key + ": " + value.error().message);
        }
        point.fields.emplace_back(std::move(key), std::move(*value));
      }
      if (peek() != ',') break;
      ++pos_;
    }
    skip_spaces();
    if (pos_ < text_.size()) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ' ') ++pos_;
      const std::string_view token = text_.substr(start, pos_ - start);
      std::int64_t ts = 0;
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), ts);
      if (ec != std::errc() || ptr != token.data() + token.size()) {
        pos_ = start;
        return syntax("expected an integer timestamp, got " + std::string(token));
      }
      point.timestamp = ts;
      skip_spaces();
      if (pos_ < text_.size()) return syntax("unexpected text after the timestamp");
    }
    return point;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_spaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  // Reads up to an unescaped character of `stops` (or the end), resolving escapes.
  std::string read_name(std::string_view stops) {
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && is_escapable(text_[pos_ + 1])) {
        out.push_back(text_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      if (stops.find(c) != std::string_view::npos) break;
      out.push_back(c);
      ++pos_;
    }
    return out;
  }

  // At an opening quote: reads the string up to the closing quote; nullopt if there is none.
  std::optional<std::string> read_quoted() {
    std::string out;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\\')) {
        ++pos_;
      }
      out.push_back(text_[pos_]);
    }
    return std::nullopt;
  }

  Error<RejectReason> syntax(const std::string& what) const {
    return make_error(RejectReason::kBadLine, "column " + std::to_string(pos_ + 1) + ": " + what);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string_view trim(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

}  // namespace

bool is_blank_or_comment(std::string_view line) {
  line = trim(line);
  return line.empty() || line.front() == '#';
}

Result<LinePoint, RejectReason> parse_influx_line(std::string_view line) {
  // Here rather than in each caller, so that every path from a line to a reading (MQTT, UDP,
  // HTTP) refuses it alike: the reading's text ends up in JSON, which must be UTF-8.
  if (const std::size_t invalid = first_invalid_utf8(line); invalid != line.size()) {
    return make_error(RejectReason::kBadLine,
                      "column " + std::to_string(invalid + 1) + ": not valid UTF-8");
  }
  return LineParser(trim(line)).parse();
}

Status<RejectReason> append_point_readings(LinePoint point, const LineReadingOptions& options,
                                           std::vector<Reading>& out) {
  std::string device(options.fallback_device);
  std::string unit;
  Tags tags;
  tags.reserve(point.tags.size());
  for (auto& [key, value] : point.tags) {
    if (key == "device") {
      device = std::move(value);
    } else if (key == "unit") {
      unit = std::move(value);
    } else {
      tags.emplace_back(std::move(key), std::move(value));
    }
  }
  if (device.empty()) {
    return make_error(RejectReason::kMissingField,
                      "point " + point.measurement + " has no device tag");
  }
  std::int64_t ts_ns = options.receive_ts_ns;
  if (point.timestamp) {
    auto converted = epoch_to_ns(*point.timestamp, options.timestamp_unit);
    if (!converted.ok()) return converted.error();
    ts_ns = *converted;
  }
  for (auto& [key, value] : point.fields) {
    Reading reading;
    reading.device = device;
    reading.metric = key == "value" ? point.measurement : std::move(key);
    reading.value = std::move(value);
    reading.unit = unit;
    reading.ts_ns = ts_ns;
    reading.tags = tags;
    reading.topic = std::string(options.topic);
    out.push_back(std::move(reading));
  }
  return Status<RejectReason>::success();
}

Result<std::vector<Reading>, RejectReason> influx_lines_to_readings(
    std::string_view body, const LineReadingOptions& options) {
  std::vector<Reading> readings;
  int line_number = 0;
  while (!body.empty()) {
    ++line_number;
    const std::size_t newline = body.find('\n');
    const std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline == std::string_view::npos ? body.size() : newline + 1);
    if (is_blank_or_comment(line)) continue;
    auto point = parse_influx_line(line);
    Status<RejectReason> appended =
        point.ok() ? append_point_readings(std::move(*point), options, readings)
                   : Status<RejectReason>(point.error());
    if (!appended.ok()) {
      return make_error(appended.error().code,
                        "line " + std::to_string(line_number) + ": " + appended.error().message);
    }
  }
  return readings;
}

}  // namespace sensorgate::formats
