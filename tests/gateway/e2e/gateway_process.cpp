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

void GatewayProcess::start() {
  const std::string binary = std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate";
  SubprocessOptions options;
  options.pipe_stdout = false;
  options.stderr_file = log_file_;  // appended to: one log across restarts
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{binary, "run", "--config", config_file_.string()}, options);
  ++starts_;
  // Started once it says it runs and its MQTT adapter is subscribed, as often as it was started.
  auto count = [](const std::string& text, const std::string& what) {
    int found = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++found;
    return found;
  };
  const bool running = wait_until(
      [&] {
        const auto text = log();
        return count(text, " running: ") >= starts_ && count(text, ", subscribed to ") >= starts_;
      },
      std::chrono::seconds(30));
  if (!running) throw std::runtime_error("the gateway did not start:\n" + log());
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
