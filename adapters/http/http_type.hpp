// The http row of the table of adapter types (adapters/adapter_types.cpp). The settings are
// understood (check validates them) but this build has no HTTP adapter yet, so `check` and
// `run` refuse the type.
#pragma once

#include "adapters/adapter_type.hpp"
#include "adapters/http/settings.hpp"

namespace sensorgate::http {

inline constexpr adapters::AdapterType kHttpType{
    {"http", false, parse_settings, settings_docs, settings_summary, reading_shapes},
    nullptr,
};

}  // namespace sensorgate::http
