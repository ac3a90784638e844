// AdapterType: one row of the table of adapter types (adapters/adapter_types.hpp): how the
// config names and parses the type (config::AdapterSyntax) and the factory that builds a
// running adapter from the parsed settings. Each adapter folder defines its row as a constant
// in its <type>_type.hpp. Rows are constants; the factories are thread-safe.
#pragma once

#include <memory>

#include "adapters/adapter.hpp"
#include "config/adapter_syntax.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"

namespace sensorgate::adapters {

// What a factory may use besides the adapter's own settings. Everything must outlive the
// adapter.
struct AdapterEnvironment {
  const config::Config& config;  // the whole config (gateway id, kafka.topic, ...)
  const Clock& clock;
};

struct AdapterType {
  config::AdapterSyntax syntax;
  // Builds the adapter of `adapter` (whose syntax is this row's); nothing runs before start().
  std::unique_ptr<Adapter> (*create)(const config::AdapterConfig& adapter,
                                     const AdapterEnvironment& environment);
};

}  // namespace sensorgate::adapters
