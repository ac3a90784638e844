// What the e2e tests send to the gateway's http and udp adapters: a JSON batch of readings and a
// UDP datagram on loopback. Not thread-safe beyond what a plain function is.
#pragma once

#include <cstdint>
#include <string>

namespace sensorgate::testing {

// Readings first..first+count-1 as a JSON array: device http-(n % 5), metric v, value n,
// ts base_ms + n.
std::string http_batch(int first, int count, std::int64_t base_ms);

// Sends `datagram` to 127.0.0.1:`port`; throws std::system_error when it cannot be sent whole.
void send_datagram(std::uint16_t port, const std::string& datagram);

}  // namespace sensorgate::testing
