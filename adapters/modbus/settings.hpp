// The settings of one modbus_tcp adapter (one device polled over Modbus TCP) and their key
// tables, with the checks that need more than one key: type against kind and bit, registers that
// overlap or run past address 65535. Parsed by the config loader through the AdapterSyntax of
// modbus_type.hpp; immutable after.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/adapter_syntax.hpp"

namespace sensorgate::modbus {

using std::chrono::nanoseconds;

enum class RegisterType {
  kUint16,
  kInt16,
  kUint32,
  kInt32,
  kUint64,
  kInt64,
  kFloat32,
  kFloat64,
  kBool
};
enum class RegisterKind { kHolding, kInput, kCoil, kDiscrete };

// on_change: emit a reading only when the value moved more than `deadband` from the last one
// emitted, and at least once every `max_interval`.
struct OnChange {
  bool enabled = false;
  double deadband = 0;
  nanoseconds max_interval = std::chrono::minutes(1);
};

struct Register {
  std::uint16_t address = 0;
  RegisterKind kind = RegisterKind::kHolding;
  RegisterType type = RegisterType::kUint16;
  // Byte order of 32- and 64-bit types: abcd, badc, cdab or dcba (see adapters/modbus/decode.hpp).
  std::string order = "abcd";
  int bit = -1;  // 0-15: one bit of a 16-bit register; -1: the whole value
  std::string device, metric, unit;
  double scale = 1.0;
  double offset = 0.0;
  std::string topic;
  // Unset: the adapter's.
  std::optional<bool> on_change;
  std::optional<double> deadband;
  std::optional<nanoseconds> max_interval;
};

struct ModbusSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 502;
  int unit_id = 1;
  nanoseconds poll = std::chrono::seconds(1);
  nanoseconds timeout = std::chrono::seconds(1);
  // Unread addresses between two registers of one kind that one request still bridges.
  int max_gap = 8;
  OnChange on_change;  // the default of every register
  std::vector<Register> registers;
};

// How many 16-bit registers a value of `type` spans: 1, 2 or 4.
int width_of(RegisterType type);
// How many 16-bit registers (or coils) `reg` spans: width_of(reg.type).
int register_width(const Register& reg);

// The on_change rule of `reg`: its own keys, the adapter's where unset.
OnChange effective_on_change(const ModbusSettings& settings, const Register& reg);

// The AdapterSyntax functions of the modbus_tcp type (see config/adapter_syntax.hpp).
std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path);
std::vector<config::DocTable> settings_docs();
std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config);
std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter);

}  // namespace sensorgate::modbus
