// The one table of adapter types: each protocol of adapters/<type>/ is one line in
// adapter_types.cpp. The config loader parses adapters by its syntaxes; the daemon builds them
// with its factories. Constant; thread-safe.
#pragma once

#include <memory>
#include <span>

#include "adapters/adapter_type.hpp"
#include "core/result.hpp"

namespace sensorgate::adapters {

std::span<const AdapterType> adapter_types();

// The config side of every row, in table order: what load_config takes.
std::span<const config::AdapterSyntax> adapter_syntaxes();

enum class CreateError {
  kUnknownType,  // the entry was loaded with another table (the config check refuses the type)
};

// Builds the adapter of `adapter`, a config entry loaded with adapter_syntaxes().
Result<std::unique_ptr<Adapter>, CreateError> create_adapter(const config::AdapterConfig& adapter,
                                                             const AdapterEnvironment& environment);

}  // namespace sensorgate::adapters
