#include "config/key_table.hpp"

#include <charconv>
#include <cstdio>

#include "config/sections.hpp"
#include "core/host_port.hpp"

namespace sensorgate::config {

bool is_listen_address(std::string_view text) {
  return parse_host_port(text).has_value();
}

bool is_name(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  auto [ptr, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return ec == std::errc() ? std::string(buffer.data(), ptr) : std::to_string(value);
}

}  // namespace sensorgate::config
