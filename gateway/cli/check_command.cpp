#include <ostream>

#include "buffer/files.hpp"
#include "config/loader.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config_check.hpp"

namespace sensorgate::cli {

std::optional<config::Config> load_config_reporting(const std::filesystem::path& file,
                                                    std::ostream& err) {
  auto outcome = gateway::load_checked_config(file);
  for (const auto& diagnostic : outcome.diagnostics) err << diagnostic.to_string() << '\n';
  if (!outcome.ok()) {
    std::size_t errors = 0;
    for (const auto& diagnostic : outcome.diagnostics) {
      if (diagnostic.severity == config::Diagnostic::Severity::kError) ++errors;
    }
    err << file.string() << ": " << errors << (errors == 1 ? " error" : " errors")
        << ", nothing started\n";
    return std::nullopt;
  }
  return std::move(outcome.config);
}

int check_command(const std::filesystem::path& config_file, std::ostream& out, std::ostream& err) {
  const auto config = load_config_reporting(config_file, err);
  if (!config) return kExitUsage;
  if (const auto warning =
          buffer::free_space_warning(config->buffer.path, config->buffer.max_bytes)) {
    err << config_file.string() << ": warning: " << *warning << '\n';
  }
  out << config_file.string() << ": OK\n\n" << config::render_summary(*config);
  return kExitOk;
}

}  // namespace sensorgate::cli
