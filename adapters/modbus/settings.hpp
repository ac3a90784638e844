// The settings of one modbus_tcp adapter (one device polled over Modbus TCP) and their key
// tables. Parsed by the config loader through the AdapterSyntax of modbus_type.hpp; immutable
// after.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/adapter_syntax.hpp"

namespace sensorgate::modbus {

using std::chrono::nanoseconds;

enum class RegisterType { kUint16, kInt16, kUint32, kInt32, kFloat32, kBool };
enum class RegisterKind { kHolding, kInput, kCoil, kDiscrete };

struct Register {
  std::uint16_t address = 0;
  RegisterKind kind = RegisterKind::kHolding;
  RegisterType type = RegisterType::kUint16;
  std::string order = "abcd";  // word/byte order for 32-bit types: abcd, badc, cdab, dcba
  std::string device, metric, unit;
  double scale = 1.0;
  double offset = 0.0;
  std::string topic;
};

struct ModbusSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 502;
  int unit_id = 1;
  nanoseconds poll = std::chrono::seconds(1);
  nanoseconds timeout = std::chrono::seconds(1);
  std::vector<Register> registers;
};

// The AdapterSyntax functions of the modbus_tcp type (see config/adapter_syntax.hpp).
std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path);
std::vector<config::DocTable> settings_docs();
std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config);
std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter);

}  // namespace sensorgate::modbus
