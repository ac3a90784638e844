// The daemon's own behaviour end to end: SIGHUP reloads (a good file and a bad one), and
// `sensorgate alerts` listing an alert by when it was raised, not by the reading's old time.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <csignal>

#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "gateway_process.hpp"
#include "support/kafka_cluster.hpp"
#include "support/kafka_consumer.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kYearAgoMs = 1'733'000'000'000;  // 2024-11-30, a year before these tests

struct Rig {
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  GatewayProcess gateway;

  explicit Rig(std::string extra_yaml = "")
      : gateway(
            GatewayConfig{dir.path(), mosquitto.url(), kafka.bootstrap(), std::move(extra_yaml)}) {
    gateway.start();
  }

  // Rewrites the config with `from` replaced by `to` (the device template, say).
  void edit_config(const std::string& from, const std::string& to) {
    std::string text = read_file(gateway.config_file());
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    write_file(gateway.config_file(), text);
  }

  bool log_has(const std::string& text, int times = 1) const {
    const std::string log = gateway.log();
    int found = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++found;
    return found >= times;
  }
};

void publish(MqttClient& client, const std::string& device, int value) {
  client.publish("plant/site-a/" + device + "/telemetry",
                 "{\"t\":" + std::to_string(value) + ",\"ts\":" + std::to_string(kYearAgoMs) + "}");
}

// The keys of the records with temperature `value`, in arrival order.
std::vector<std::string> keys_of_value(const std::vector<ConsumedRecord>& records, int value) {
  std::vector<std::string> keys;
  for (const auto& record : records) {
    if (nlohmann::json::parse(record.value)["value"] == value) keys.push_back(record.key);
  }
  return keys;
}

TEST_CASE("SIGHUP applies new mappings from a good file and keeps the running ones for a bad one") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "daemon-test-sensors");
  publish(sensors, "hall-1", 1);
  // Mapped by the running config before the reload starts.
  REQUIRE(consume_topic(rig.kafka.bootstrap(), "sensors.readings", 1, 60s, 0ms).size() == 1);

  rig.edit_config("device: \"{2}\"", "device: \"dev-{2}\"");
  rig.gateway.send_signal(SIGHUP);
  REQUIRE(wait_until([&] { return rig.log_has("adapter plant-mqtt has its new mappings"); }, 30s));
  publish(sensors, "hall-1", 2);

  rig.edit_config("device: \"dev-{2}\"", "device: \"{\"");
  rig.gateway.send_signal(SIGHUP);
  REQUIRE(wait_until([&] { return rig.log_has("reload refused, the config has errors"); }, 30s));
  CHECK(rig.log_has("adapters[0].subscriptions[0].device: \"{\": at offset 0"));
  publish(sensors, "hall-1", 3);

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 3, 60s, 500ms);
  CHECK(keys_of_value(records, 1) == std::vector<std::string>{"hall-1"});
  CHECK(keys_of_value(records, 2) == std::vector<std::string>{"dev-hall-1"});
  CHECK(keys_of_value(records, 3) == std::vector<std::string>{"dev-hall-1"});
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("sensorgate alerts lists an alert raised now from a reading stamped a year ago") {
  Rig rig(
      "rules:\n"
      "  - {name: hall-hot, match: {metric: temp}, when: value > 30, severity: critical}\n");
  MqttClient sensors(rig.mosquitto.url(), "daemon-test-alerts");
  const std::int64_t published_ns = SystemClock().now_ns();
  publish(sensors, "hall-0", 45);
  const auto run_alerts = [&] {
    SubprocessOptions options;
    options.stderr_file = rig.dir / "alerts.stderr";
    Subprocess alerts({std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate", "alerts",
                       "--config", rig.gateway.config_file().string(), "--since", "10m", "--json"},
                      options);
    std::string out;
    while (const auto line = alerts.read_line(10s)) out += *line;
    REQUIRE(alerts.wait(10s));
    return out;
  };
  nlohmann::json listed;
  REQUIRE(wait_until(
      [&] {
        listed = nlohmann::json::parse(run_alerts());
        return listed.size() == 1;
      },
      30s));
  CHECK(listed[0]["rule"] == "hall-hot");
  CHECK(listed[0]["state"] == "firing");
  CHECK(listed[0]["ts"] == "2024-11-30T20:53:20.000Z");
  const auto raised = parse_rfc3339(listed[0]["raised_at"].get<std::string>());
  REQUIRE(raised.ok());
  CHECK(*raised >= published_ns - 1'000'000'000);  // raised by the gateway's clock, just now
  CHECK(*raised <= SystemClock().now_ns());
}

}  // namespace
}  // namespace sensorgate::testing
