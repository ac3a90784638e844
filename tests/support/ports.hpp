// Free loopback ports for real peers in tests: bind port 0 on 127.0.0.1 and read back what
// the kernel chose. The port is released before return, so a peer started right after gets it.
#pragma once

#include <cstdint>

namespace sensorgate::testing {

std::uint16_t free_tcp_port();
std::uint16_t free_udp_port();

}  // namespace sensorgate::testing
