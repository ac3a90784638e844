#include "tests/adapters/modbus/modbus_device.hpp"

#include <stdexcept>

namespace sensorgate::testing {

ModbusDevice::ModbusDevice(ModbusDeviceOptions options) {
  std::vector<std::string> argv{std::string(SENSORGATE_BINARY_DIR) + "/tests/tools/modbus_server"};
  if (options.silent) argv.push_back("--silent");
  if (options.simulate) argv.push_back("--simulate");
  SubprocessOptions process_options;
  process_options.pipe_stdin = true;
  process_ = std::make_unique<Subprocess>(std::move(argv), process_options);
  const auto line = process_->read_line(std::chrono::seconds(10));
  const std::string prefix = "listening 127.0.0.1:";
  if (!line || line->rfind(prefix, 0) != 0) {
    throw std::runtime_error("modbus_server did not start: " + line.value_or("(no output)"));
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line->substr(prefix.size())));
}

std::string ModbusDevice::command(const std::string& text) {
  if (!process_->write_stdin(text + "\n")) return {};
  return process_->read_line(std::chrono::seconds(5)).value_or("");
}

long ModbusDevice::requests() {
  const std::string answer = command("requests");
  const std::string prefix = "requests ";
  if (answer.rfind(prefix, 0) != 0) return -1;
  return std::stol(answer.substr(prefix.size()));
}

}  // namespace sensorgate::testing
