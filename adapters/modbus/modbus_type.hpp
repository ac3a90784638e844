// The modbus_tcp row of the table of adapter types (adapters/adapter_types.cpp). The settings
// are understood (check validates them) but this build has no Modbus adapter yet, so `check`
// and `run` refuse the type.
#pragma once

#include "adapters/adapter_type.hpp"
#include "adapters/modbus/settings.hpp"

namespace sensorgate::modbus {

inline constexpr adapters::AdapterType kModbusType{
    {"modbus_tcp", false, parse_settings, settings_docs, settings_summary, reading_shapes},
    nullptr,
};

}  // namespace sensorgate::modbus
