#include "core/reading_json.hpp"

#include <cmath>
#include <cstring>

#include "core/shortest_double.hpp"
#include "core/time_format.hpp"

namespace sensorgate {

namespace {

// Every byte of a string may become \u00XX.
constexpr std::size_t kEscapedBytesPerByte = 6;
// The keys, quotes, braces and separators of a record value, a number and a timestamp.
constexpr std::size_t kFixedBytes = 80 + kShortestDoubleMaxChars + kRfc3339MaxChars;
// A record value up to this bound is written on the stack and copied once into its string.
constexpr std::size_t kStackBytes = 512;

std::size_t json_string_bound(std::string_view text) {
  return 2 + kEscapedBytesPerByte * text.size();
}

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* put_json_string(char* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && c != '"' && c != '\\') {
      *out++ = c;
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *out++ = c;
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\r':
        *out++ = 'r';
        break;
      case '\t':
        *out++ = 't';
        break;
      default:
        out = put(out, "u00");
        *out++ = kHex[byte >> 4];
        *out++ = kHex[byte & 0xf];
    }
  }
  *out++ = '"';
  return out;
}

char* put_json_number(char* out, double value) {
  if (!std::isfinite(value)) return put(out, "null");
  return write_shortest_double(out, value);
}

std::size_t encoded_bound(const Reading& reading) {
  std::size_t bound = kFixedBytes + json_string_bound(reading.device) +
                      json_string_bound(reading.metric) + json_string_bound(reading.unit);
  if (const auto* text = std::get_if<std::string>(&reading.value)) {
    bound += json_string_bound(*text);
  }
  for (const auto& [key, value] : reading.tags) {
    bound += json_string_bound(key) + json_string_bound(value) + 2;  // ':' and ','
  }
  return bound;
}

// Writes the record value of `reading` at `out`, which has encoded_bound(reading) bytes of room.
char* put_reading(char* out, const Reading& reading) {
  out = put(out, "{\"device\":");
  out = put_json_string(out, reading.device);
  out = put(out, ",\"metric\":");
  out = put_json_string(out, reading.metric);
  out = put(out, ",\"value\":");
  if (const double* number = std::get_if<double>(&reading.value)) {
    out = put_json_number(out, *number);
  } else if (const bool* flag = std::get_if<bool>(&reading.value)) {
    out = put(out, *flag ? "true" : "false");
  } else {
    out = put_json_string(out, std::get<std::string>(reading.value));
  }
  if (!reading.unit.empty()) {
    out = put(out, ",\"unit\":");
    out = put_json_string(out, reading.unit);
  }
  out = put(out, ",\"ts\":\"");
  out = write_rfc3339(out, reading.ts_ns);
  *out++ = '"';
  if (!reading.tags.empty()) {
    out = put(out, ",\"tags\":{");
    bool first = true;
    for (const auto& [key, value] : reading.tags) {
      if (!first) *out++ = ',';
      first = false;
      out = put_json_string(out, key);
      *out++ = ':';
      out = put_json_string(out, value);
    }
    *out++ = '}';
  }
  *out++ = '}';
  return out;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  const std::size_t old_size = out.size();
  out.resize(old_size + json_string_bound(text));
  char* end = put_json_string(out.data() + old_size, text);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

void append_json_number(std::string& out, double value) {
  char text[kShortestDoubleMaxChars];
  out.append(text, put_json_number(text, value));
}

std::string encode_reading_json(const Reading& reading) {
  const std::size_t bound = encoded_bound(reading);
  if (bound <= kStackBytes) {
    char text[kStackBytes];
    return std::string(text, put_reading(text, reading));
  }
  std::string out(bound, '\0');
  out.resize(static_cast<std::size_t>(put_reading(out.data(), reading) - out.data()));
  out.shrink_to_fit();
  return out;
}

}  // namespace sensorgate
