// ModbusDevice: the modbus_server program (tests/tools) as a child process on a free loopback
// port, serving its known values (listed at the top of modbus_server.cpp), or, `silent`, a
// listener that accepts and never answers. Commands go to its stdin. Killed when the object
// goes away. Not thread-safe: one test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/subprocess.hpp"

namespace sensorgate::testing {

struct ModbusDeviceOptions {
  bool silent = false;    // accept and never answer
  bool simulate = false;  // the demo's boiler moves
};

class ModbusDevice {
 public:
  // Starts the program and waits for its "listening" line; throws std::runtime_error when it
  // does not come within 10 s.
  explicit ModbusDevice(ModbusDeviceOptions options = {});

  std::uint16_t port() const { return port_; }

  // Sends one command ("set holding 5 0x1234") and returns its answer line ("ok"); empty when
  // none comes within 5 s.
  std::string command(const std::string& text);
  // The requests the device answered so far (the "requests" command); -1 without an answer.
  long requests();

 private:
  std::unique_ptr<Subprocess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace sensorgate::testing
