// The modbus_tcp row of the table of adapter types (adapters/adapter_types.cpp).
#pragma once

#include "adapters/adapter_type.hpp"
#include "adapters/modbus/settings.hpp"

namespace sensorgate::modbus {

// Builds a ModbusAdapter from settings parsed by parse_settings.
std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment);

inline constexpr adapters::AdapterType kModbusType{
    {"modbus_tcp", parse_settings, settings_docs, settings_summary, reading_shapes},
    create_adapter,
};

}  // namespace sensorgate::modbus
