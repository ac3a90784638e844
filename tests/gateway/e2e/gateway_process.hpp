// GatewayProcess: the sensorgate binary running `run` as a child process with a config written
// for the test (a mosquitto and the Kafka cluster program on loopback), as systemd would run it.
// Stopped when the object goes away. Not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "support/subprocess.hpp"

namespace sensorgate::testing {

struct GatewayConfig {
  std::filesystem::path dir;  // holds the config, the buffer and the log
  std::string mqtt_url;
  std::string kafka_bootstrap;
  std::string extra_yaml;  // appended (rules, ...)
  std::string commit_interval = "10ms";
  std::string buffer_extra = "";  // more keys of the buffer mapping: ", max_bytes: 20KiB"
};

class GatewayProcess {
 public:
  explicit GatewayProcess(GatewayConfig config);
  ~GatewayProcess();

  // Starts `sensorgate run` and waits until it logs that it runs (and, when `subscribed`, that
  // its MQTT adapter is connected and subscribed); throws with the log when it does not.
  void start();
  // SIGTERM; returns the exit code.
  int stop();
  void kill();  // SIGKILL, as a crash
  void send_signal(int signal);
  std::string log() const;
  const std::filesystem::path& config_file() const { return config_file_; }
  std::filesystem::path buffer_file() const { return config_.dir / "state" / "buffer.db"; }

 private:
  GatewayConfig config_;
  std::filesystem::path config_file_;
  std::filesystem::path log_file_;
  std::unique_ptr<Subprocess> process_;
  int starts_ = 0;
};

}  // namespace sensorgate::testing
