// The CLI's subcommands as functions of their options and output streams, so that main() only
// parses arguments and tests can call them. Each returns the process exit code of DESIGN.md:
// 0 ok, 1 runtime error, 2 usage or config error.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>

#include "config/config.hpp"
#include "gateway/cli/backlog_view.hpp"

namespace sensorgate::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// Loads the config, printing every diagnostic (errors and warnings) to `err`; nullopt when the
// config has errors.
std::optional<config::Config> load_config_reporting(const std::filesystem::path& file,
                                                    std::ostream& err);

// `sensorgate check`: diagnostics on `err`, the one-screen summary on `out`.
int check_command(const std::filesystem::path& config_file, std::ostream& out, std::ostream& err);

struct BacklogOptions {
  std::filesystem::path config_file;
  BacklogGrouping grouping = BacklogGrouping::kNone;
  bool json = false;
};

// `sensorgate backlog`: reads the buffer file read-only, safe while the daemon runs.
int backlog_command(const BacklogOptions& options, std::ostream& out, std::ostream& err);

struct AlertsOptions {
  std::filesystem::path config_file;
  std::chrono::nanoseconds since = std::chrono::hours(24);
  bool json = false;
};

// `sensorgate alerts`: stored alert events since `since` ago, firing first, read-only.
int alerts_command(const AlertsOptions& options, std::ostream& out, std::ostream& err);

struct StatusOptions {
  std::filesystem::path config_file = "/etc/sensorgate/sensorgate.yaml";
  bool json = false;
};

// `sensorgate status`: the running daemon's view, read from GET /status on http.listen (with
// the bearer token of http.token_file). Exit 1 with one line saying where it looked when the
// daemon does not answer.
int status_command(const StatusOptions& options, std::ostream& out, std::ostream& err);

// `sensorgate version`: the version and those of the libraries that matter to operators.
int version_command(std::ostream& out);

}  // namespace sensorgate::cli
