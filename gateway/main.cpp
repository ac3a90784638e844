// The sensorgate binary: parses the command line (CLI11) and hands over to one subcommand.
// Exit codes: 0 ok, 1 runtime error, 2 usage or config error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "core/units.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/daemon/daemon.hpp"

namespace {

int run(int argc, char** argv) {
  using namespace sensorgate::cli;
  CLI::App app{
      "sensorgate: an edge gateway that buffers sensor readings and forwards them to Kafka"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("sensorgate ") + SENSORGATE_VERSION);

  std::filesystem::path config_file;
  auto* run = app.add_subcommand("run", "Run the gateway (the systemd service runs this)");
  run->add_option("--config,-c", config_file, "Config file")->required();

  auto* check = app.add_subcommand("check", "Validate the config and print a summary");
  check->add_option("--config,-c", config_file, "Config file")->required();

  BacklogOptions backlog_options;
  auto* backlog = app.add_subcommand("backlog", "Show what waits in the buffer");
  backlog->add_option("--config,-c", backlog_options.config_file, "Config file")->required();
  backlog->add_option("--by", backlog_options.grouping, "Rows per topic or per device")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, BacklogGrouping>{{"topic", BacklogGrouping::kTopic},
                                                 {"device", BacklogGrouping::kDevice}},
          CLI::ignore_case));
  backlog->add_flag("--json", backlog_options.json, "JSON with stable keys, for scripts");

  AlertsOptions alerts_options;
  std::string since_text = "24h";
  auto* alerts = app.add_subcommand("alerts", "Show recent alerts, firing first");
  alerts->add_option("--config,-c", alerts_options.config_file, "Config file")->required();
  alerts->add_option("--since", since_text, "How far back, e.g. 30m, 24h, 7d")
      ->check([](const std::string& text) {
        return sensorgate::parse_duration(text).ok()
                   ? std::string()
                   : "expected a duration such as 30m, 24h or 7d, got \"" + text + "\"";
      });
  alerts->add_flag("--json", alerts_options.json, "A JSON array of alert events, for scripts");

  StatusOptions status_options;
  auto* status = app.add_subcommand("status", "Show what the running daemon does (its /status)");
  status->add_option("--config,-c", status_options.config_file, "Config file")
      ->capture_default_str();
  status->add_flag("--json", status_options.json, "The daemon's /status JSON as it is");

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (*run) return sensorgate::gateway::run_daemon(config_file);
  if (*check) return check_command(config_file, std::cout, std::cerr);
  if (*backlog) return backlog_command(backlog_options, std::cout, std::cerr);
  if (*alerts) {
    alerts_options.since = *sensorgate::parse_duration(since_text);
    return alerts_command(alerts_options, std::cout, std::cerr);
  }
  if (*status) return status_command(status_options, std::cout, std::cerr);
  if (*version) return version_command(std::cout);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Last resort: whatever escapes a subcommand ends the process with one line and exit 1,
  // never with an abort and a core dump in the journal.
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "sensorgate: internal error: " << error.what() << '\n';
  } catch (...) {
    std::cerr << "sensorgate: internal error (unknown exception)\n";
  }
  return sensorgate::cli::kExitRuntime;
}
