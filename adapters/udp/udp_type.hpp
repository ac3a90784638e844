// The udp row of the table of adapter types (adapters/adapter_types.cpp). The settings are
// understood (check validates them) but this build has no UDP adapter yet, so `check` and `run`
// refuse the type.
#pragma once

#include "adapters/adapter_type.hpp"
#include "adapters/udp/settings.hpp"

namespace sensorgate::udp {

inline constexpr adapters::AdapterType kUdpType{
    {"udp", false, parse_settings, settings_docs, settings_summary, reading_shapes},
    nullptr,
};

}  // namespace sensorgate::udp
