// Helpers of the config tests: load a YAML text as "sensorgate.yaml" and list what the
// operator would read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"

namespace sensorgate::config::testing {

// The smallest valid config: only the required key.
inline constexpr std::string_view kMinimal = "kafka: {brokers: 'kafka-1:9092'}\n";

inline LoadOutcome load(std::string_view yaml) {
  return load_config_text(yaml, "sensorgate.yaml");
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
