// HostPort: "host:port" as written in the config (listen addresses, Kafka brokers), checked once
// here so that `check` refuses what a socket or librdkafka would refuse later. Pure functions,
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sensorgate {

struct HostPort {
  std::string host;  // an IPv4 address, an IPv6 address (without the brackets) or a DNS name
  std::uint16_t port = 0;
  bool ipv6 = false;
};

// Accepts "127.0.0.1:9464", "[::1]:9464", "kafka-1.example:9092", "localhost:1883" and nothing
// else: the port is 1 to 65535; a host of digits and dots must be a valid IPv4 address
// ("300.1.1.1" is not); a name has labels of letters, digits and '-' (at most 63 characters each,
// 253 in all); no spaces, no empty host.
std::optional<HostPort> parse_host_port(std::string_view text);

// True for listen addresses only this machine can reach: localhost, 127.0.0.0/8 and ::1.
// False for anything else, and for text parse_host_port refuses.
bool is_loopback_listen(std::string_view listen);

}  // namespace sensorgate
