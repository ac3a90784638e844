#include "core/host_port.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace sensorgate {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    return std::nullopt;
  }
  HostPort out;
  out.port = static_cast<std::uint16_t>(port);
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr address{};
    if (inet_pton(AF_INET6, out.host.c_str(), &address) != 1) return std::nullopt;
    out.ipv6 = true;
    return out;
  }
  out.host = std::string(host);
  const bool numeric =
      std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (numeric) {
    in_addr address{};
    if (inet_pton(AF_INET, out.host.c_str(), &address) != 1) return std::nullopt;
    return out;
  }
  if (!is_dns_name(host)) return std::nullopt;
  return out;
}

bool is_loopback_listen(std::string_view listen) {
  const auto address = parse_host_port(listen);
  if (!address) return false;
  if (address->ipv6) return address->host == "::1";
  return address->host == "localhost" || address->host.starts_with("127.");
}

}  // namespace sensorgate
