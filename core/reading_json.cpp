#include "core/reading_json.hpp"

#include <charconv>
#include <cmath>

#include "core/time_format.hpp"

namespace sensorgate {

namespace {

bool needs_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Runs that need no escape (nearly every name and value) are appended whole.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!needs_escape(c)) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[(c >> 4) & 0xf];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

std::string encode_reading_json(const Reading& reading) {
  std::string out;
  out.reserve(96 + reading.device.size() + reading.metric.size());
  out += "{\"device\":";
  append_json_string(out, reading.device);
  out += ",\"metric\":";
  append_json_string(out, reading.metric);
  out += ",\"value\":";
  if (const double* number = std::get_if<double>(&reading.value)) {
    append_json_number(out, *number);
  } else if (const bool* flag = std::get_if<bool>(&reading.value)) {
    out += *flag ? "true" : "false";
  } else {
    append_json_string(out, std::get<std::string>(reading.value));
  }
  if (!reading.unit.empty()) {
    out += ",\"unit\":";
    append_json_string(out, reading.unit);
  }
  out += ",\"ts\":\"";
  append_rfc3339(out, reading.ts_ns);
  out += '"';
  if (!reading.tags.empty()) {
    out += ",\"tags\":{";
    bool first = true;
    for (const auto& [key, value] : reading.tags) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, key);
      out += ':';
      append_json_string(out, value);
    }
    out += '}';
  }
  out += '}';
  return out;
}

}  // namespace sensorgate
