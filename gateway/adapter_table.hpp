// The one constant table of adapter types: how the daemon creates each configured adapter and
// how it hands it new mappings on SIGHUP. Adding a protocol is one folder under adapters/ and
// one line in adapter_table.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "adapters/adapter.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace sensorgate::gateway {

enum class AdapterTableError {
  kUnsupportedType,  // the config names a type this build does not have
  kReloadRefused,    // the new settings cannot be applied to the running adapter
};

// Creates the adapter `config` describes; nothing runs before its start().
Result<std::unique_ptr<adapters::Adapter>, AdapterTableError> create_adapter(
    const config::AdapterConfig& config, adapters::ReadingSink& sink, const Clock& clock);

// Applies reloaded settings (new mappings) to a running adapter of the same name and type.
Status<AdapterTableError> reload_adapter(adapters::Adapter& adapter,
                                         const config::AdapterConfig& config);

// A function that publishes on a local topic through `adapter` (for alerts), or an empty one when
// adapters of this type cannot publish. `adapter` must outlive the function.
std::function<bool(const std::string& topic, const std::string& payload)> local_publisher(
    adapters::Adapter& adapter, const config::AdapterConfig& config);

}  // namespace sensorgate::gateway
