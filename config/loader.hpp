// Loading the one YAML config file into a Config: every key checked against the key tables
// (config/key_table.hpp), every error collected with file:line:column before giving up, every
// default applied. Also the `sensorgate check` summary and the generated config reference.
// All functions are pure apart from reading the config and secret files; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace sensorgate::config {

struct AdapterSyntax;  // config/adapter_syntax.hpp

// One thing wrong (or doubtful) in a config file, pointing at where it is.
struct Diagnostic {
  enum class Severity { kError, kWarning } severity = Severity::kError;
  std::filesystem::path file;
  int line = 0;  // 1-based; 0 = the whole file
  int column = 0;
  std::string key_path;  // e.g. "adapters[1].subscriptions[0].qos"; empty: the file itself
  std::string message;   // what was expected and what was found, with a did-you-mean hint

  // "sensorgate.yaml:12:9: error: adapters[1].subscriptions[0].qos: expected 0, 1 or 2, got 3"
  std::string to_string() const;
};

// `config` is set only when no diagnostic is an error; warnings may come with a config.
struct LoadOutcome {
  std::optional<Config> config;
  std::vector<Diagnostic> diagnostics;  // in file order; whole-file diagnostics last
  bool ok() const { return config.has_value(); }
};

// Reads and checks `file`; adapters are parsed by the rows of `adapter_types` (in the gateway:
// adapters::adapter_syntaxes(), the one table of adapter types). A missing or unreadable file is
// an error diagnostic, not a throw.
LoadOutcome load_config(const std::filesystem::path& file,
                        std::span<const AdapterSyntax> adapter_types);

// Checks `yaml` as if read from `name`: diagnostics name it and relative paths (data_dir,
// buffer.path, secret, TLS and token files) resolve against its directory.
LoadOutcome load_config_text(std::string_view yaml, const std::filesystem::path& name,
                             std::span<const AdapterSyntax> adapter_types);

// A one-screen summary of the effective configuration (defaults included; durations and sizes
// in config spelling) for `sensorgate check`. Secret values are never shown, only their files.
std::string render_summary(const Config& config);

// The config reference in Markdown, generated from the key tables of the shared sections and
// of `adapter_types`; docs/configuration.md holds its output (regenerate with the
// config_reference program).
std::string render_reference_markdown(std::span<const AdapterSyntax> adapter_types);

}  // namespace sensorgate::config
