// The daemon behind `sensorgate run`: checks the config as `sensorgate check` does
// (gateway/config_check.hpp), builds and starts a Gateway (gateway/daemon/gateway.hpp), reports
// to systemd, and runs until SIGTERM/SIGINT. SIGHUP reloads the adapters' mappings from the
// config file, or logs why not and keeps the running ones.
//
// Threads: the calling thread handles signals and the once-a-second tick (absent_for rules,
// the gateway's own alerts, the systemd watchdog); each part runs its own named threads.
#pragma once

#include <filesystem>

namespace sensorgate::gateway {

// Runs until a stop signal; returns the exit code: 0 after a clean stop, 1 when a part failed
// at runtime (buffer file unusable, Kafka client could not be created), 2 for config errors.
int run_daemon(const std::filesystem::path& config_file);

}  // namespace sensorgate::gateway
