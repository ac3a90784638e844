#include "gateway_process.hpp"

#include <csignal>
#include <stdexcept>

#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {

GatewayProcess::GatewayProcess(GatewayConfig config)
    : config_(std::move(config)),
      config_file_(config_.dir / "sensorgate.yaml"),
      log_file_(config_.dir / "gateway.log") {
  write_file(config_file_,
             "gateway: {id: e2e-gateway, data_dir: " + (config_.dir / "state").string() +
                 "}\n"
                 "buffer: {commit_interval: " +
                 config_.commit_interval + config_.buffer_extra +
                 "}\n"
                 "kafka:\n"
                 "  brokers: " +
                 config_.kafka_bootstrap +
                 "\n"
                 "  topic: sensors.readings\n"
                 "  alerts_topic: sensors.alerts\n"
                 "  unreachable_alert_after: 2s\n"
                 "  properties: {linger.ms: \"5\"}\n"
                 "adapters:\n"
                 "  - name: plant-mqtt\n"
                 "    type: mqtt\n"
                 "    url: " +
                 config_.mqtt_url +
                 "\n"
                 "    ack: " +
                 config_.mqtt_ack +
                 "\n"
                 "    reconnect_min: 100ms\n"
                 "    reconnect_max: 1s\n"
                 "    subscriptions:\n"
                 "      - filter: plant/+/+/telemetry\n"
                 "        device: \"{2}\"\n"
                 "        payload: json\n"
                 "        metrics: {temp: {field: t, unit: C}, hum: {field: h, unit: \"%\"}}\n"
                 "        timestamp: {field: ts, unit: ms}\n"
                 "        tags: {site: \"{1}\"}\n" +
                 config_.extra_yaml);
}

GatewayProcess::~GatewayProcess() {
  if (process_ && process_->running()) process_->stop(std::chrono::seconds(10));
}

void GatewayProcess::launch(std::vector<std::string> environment) {
  const std::string binary = std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate";
  SubprocessOptions options;
  options.pipe_stdout = false;
  options.stderr_file = log_file_;  // appended to: one log across restarts
  options.environment = std::move(environment);
  log_size_at_launch_ = log().size();
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{binary, "run", "--config", config_file_.string()}, options);
}

void GatewayProcess::start(std::vector<std::string> environment) {
  launch(std::move(environment));
  // Started once this run's log says it runs and its MQTT adapter is subscribed.
  const bool running = wait_until(
      [&] {
        const auto text = log();
        const auto ours =
            text.size() > log_size_at_launch_ ? text.substr(log_size_at_launch_) : std::string();
        return ours.find(" running: ") != std::string::npos &&
               ours.find(", subscribed to ") != std::string::npos;
      },
      std::chrono::seconds(30));
  if (!running) throw std::runtime_error("the gateway did not start:\n" + log());
}

std::optional<int> GatewayProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto status = process_->wait(timeout);
  if (!status) return std::nullopt;
  return exit_code_of(*status);
}

int GatewayProcess::stop() {
  process_->send_signal(SIGTERM);
  const auto status = process_->wait(std::chrono::seconds(30));
  if (!status) throw std::runtime_error("the gateway did not stop within 30 s:\n" + log());
  return exit_code_of(*status);
}

void GatewayProcess::kill() {
  process_->send_signal(SIGKILL);
  (void)process_->wait(std::chrono::seconds(10));
}

void GatewayProcess::send_signal(int signal) {
  process_->send_signal(signal);
}

std::string GatewayProcess::log() const {
  return std::filesystem::exists(log_file_) ? read_file(log_file_) : std::string();
}

}  // namespace sensorgate::testing
