// GatewayProcess: the sensorgate binary running `run` as a child process with a config written
// for the test (a mosquitto and the Kafka cluster program on loopback), as systemd would run it.
// Stopped when the object goes away. Not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/subprocess.hpp"

namespace sensorgate::testing {

struct GatewayConfig {
  std::filesystem::path dir;  // holds the config, the buffer and the log
  std::string mqtt_url;
  std::string kafka_bootstrap;
  std::string extra_yaml;  // appended (rules, ...)
  std::string commit_interval = "10ms";
  std::string buffer_extra = "";          // more keys of the buffer mapping: ", max_bytes: 20KiB"
  std::string mqtt_ack = "after_commit";  // the adapter's ack key
};

class GatewayProcess {
 public:
  explicit GatewayProcess(GatewayConfig config);
  ~GatewayProcess();

  // Starts `sensorgate run`, with `environment` ("NAME=value") added to the test's, without
  // waiting for anything.
  void launch(std::vector<std::string> environment = {});
  // launch(), then waits until it logs that it runs and that its MQTT adapter is connected and
  // subscribed; throws with the log when it does not.
  void start(std::vector<std::string> environment = {});
  // Waits for the process to end by itself: its exit code (128 + signal when killed), or
  // nullopt when `timeout` passes first.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
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
  std::size_t log_size_at_launch_ = 0;
};

}  // namespace sensorgate::testing
