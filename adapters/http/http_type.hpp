// The http row of the table of adapter types (adapters/adapter_types.cpp).
#pragma once

#include "adapters/adapter_type.hpp"
#include "adapters/http/settings.hpp"

namespace sensorgate::http {

// Builds an HttpAdapter from settings parsed by parse_settings.
std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment);

inline constexpr adapters::AdapterType kHttpType{
    {"http", parse_settings, settings_docs, settings_summary, reading_shapes},
    create_adapter,
};

}  // namespace sensorgate::http
