// Helpers of the config tests: load a YAML text as "sensorgate.yaml" with the gateway's table of
// adapter types, and list what the operator would read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter_types.hpp"
#include "adapters/http/settings.hpp"
#include "adapters/modbus/settings.hpp"
#include "adapters/mqtt/settings.hpp"
#include "adapters/udp/settings.hpp"
#include "config/loader.hpp"

namespace sensorgate::config::testing {

// The smallest valid config: only the required key.
inline constexpr std::string_view kMinimal = "kafka: {brokers: 'kafka-1:9092'}\n";

inline LoadOutcome load(std::string_view yaml) {
  return load_config_text(yaml, "sensorgate.yaml", adapters::adapter_syntaxes());
}

inline LoadOutcome load_file(const std::filesystem::path& file) {
  return load_config(file, adapters::adapter_syntaxes());
}

// Every diagnostic as the operator sees it.
inline std::vector<std::string> messages(const LoadOutcome& outcome) {
  std::vector<std::string> out;
  for (const Diagnostic& diagnostic : outcome.diagnostics) out.push_back(diagnostic.to_string());
  return out;
}

// The single error `yaml` produces; fails the test if it loads or gives several diagnostics.
inline std::vector<std::string> errors_of(std::string_view yaml) {
  const LoadOutcome outcome = load(yaml);
  return outcome.ok() ? std::vector<std::string>{} : messages(outcome);
}

}  // namespace sensorgate::config::testing
