// Fuzz target: the config loader (config::load_config_text) with the gateway's table of adapter
// types, on any bytes as the YAML text. Beyond not crashing, hanging or leaking: a config is given
// exactly when no diagnostic is an error, every diagnostic says something, and a loaded config
// renders its `check` summary.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "adapters/adapter_types.hpp"
#include "config/loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A directory that does not exist, so that relative paths in the text (secret and TLS files)
  // resolve to nothing.
  const config::LoadOutcome outcome = config::load_config_text(
      fuzz::as_text(data, size), "/nonexistent/sensorgate-fuzz/sensorgate.yaml",
      adapters::adapter_syntaxes());
  const bool has_error =
      std::any_of(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                  [](const auto& d) { return d.severity == config::Diagnostic::Severity::kError; });
  FUZZ_CHECK(outcome.ok() != has_error, "a config comes with an error, or neither is given");
  for (const config::Diagnostic& diagnostic : outcome.diagnostics) {
    FUZZ_CHECK(!diagnostic.message.empty(), "a diagnostic without a message");
    FUZZ_CHECK(diagnostic.line >= 0 && diagnostic.column >= 0, "a negative line or column");
    FUZZ_CHECK(!diagnostic.to_string().empty(), "a diagnostic renders as nothing");
  }
  if (outcome.ok()) {
    FUZZ_CHECK(!config::render_summary(*outcome.config).empty(), "an empty summary");
  }
  return 0;
}
