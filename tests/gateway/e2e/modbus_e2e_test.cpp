// End to end with every adapter type in one gateway: one `sensorgate run` with an mqtt adapter
// (real mosquitto), a modbus_tcp adapter (the modbus_server program), an http and a udp adapter
// (a real HTTP client, a UDP socket) forwards all of them into the Kafka cluster program; a
// consumer sees the Modbus readings keyed by device, decoded and in poll order.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <bit>
#include <map>
#include <set>

#include "gateway_process.hpp"
#include "sources.hpp"
#include "support/kafka_cluster.hpp"
#include "support/kafka_consumer.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "tests/adapters/modbus/modbus_device.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kBaseMs = 1'763'856'000'000;  // 2025-11-23T00:00:00Z
constexpr int kMqttReadings = 300;
constexpr int kHttpReadings = 50;
constexpr int kUdpReadings = 50;

std::string modbus_adapter_yaml(std::uint16_t port) {
  return "  - name: boiler-plc\n"
         "    type: modbus_tcp\n"
         "    port: " +
         std::to_string(port) +
         "\n"
         "    poll: 50ms\n"
         "    registers:\n"
         "      - {address: 0, device: boiler-1, metric: flow, unit: l/min, scale: 0.01}\n"
         "      - {address: 30, type: float32, device: boiler-2, metric: pressure, unit: bar}\n"
         "      - {address: 2, type: bool, bit: 15, device: boiler-2, metric: alarm}\n";
}

std::string http_and_udp_yaml(std::uint16_t http_port, std::uint16_t udp_port) {
  return "  - {name: ingest, type: http, listen: '127.0.0.1:" + std::to_string(http_port) +
         "'}\n"
         "  - {name: lines, type: udp, listen: '127.0.0.1:" +
         std::to_string(udp_port) + "'}\n";
}

TEST_CASE(
    "mqtt, modbus_tcp, http and udp adapters in one gateway all reach Kafka, modbus keyed "
    "by device") {
  TempDir dir;
  Mosquitto mosquitto;
  KafkaCluster kafka;
  ModbusDevice device;
  const std::uint16_t http_port = free_tcp_port();
  const std::uint16_t udp_port = free_udp_port();
  GatewayProcess gateway(
      GatewayConfig{dir.path(), mosquitto.url(), kafka.bootstrap(),
                    modbus_adapter_yaml(device.port()) + http_and_udp_yaml(http_port, udp_port)});
  gateway.start();
  httplib::Client http("127.0.0.1", http_port);
  const auto posted =
      http.Post("/v1/readings", http_batch(0, kHttpReadings, kBaseMs), "application/json");
  REQUIRE(posted);
  CHECK(posted->status == 202);
  for (int first = 0; first < kUdpReadings; first += 10) {
    std::string datagram;
    for (int n = first; n < first + 10; ++n) {
      datagram += "v,device=udp-" + std::to_string(n % 5) + " value=" + std::to_string(n) + " " +
                  std::to_string((kBaseMs + n) * 1'000'000) + "\n";
    }
    send_datagram(udp_port, datagram);
  }
  MqttClient sensors(mosquitto.url(), "sensors");
  for (int n = 0; n < kMqttReadings; ++n) {
    sensors.publish("plant/site-a/hall-" + std::to_string(n % 3) + "/telemetry",
                    "{\"t\":" + std::to_string(n) + ",\"ts\":" + std::to_string(kBaseMs + n) + "}");
  }
  // 3 Modbus readings per 50 ms poll: 300 more arrive within a few seconds.
  constexpr int kExpected = kMqttReadings + kHttpReadings + kUdpReadings + 300;
  const auto records = consume_topic(kafka.bootstrap(), "sensors.readings", kExpected, 60s, 200ms);
  INFO(gateway.log());
  REQUIRE(records.size() >= kExpected);

  std::set<int> mqtt_values;
  std::set<int> http_values;
  std::set<int> udp_values;
  std::map<std::string, std::vector<std::int64_t>> modbus_ts;  // key -> record timestamps
  std::map<std::string, std::set<std::int32_t>> partitions;
  const double pi32 = static_cast<double>(std::bit_cast<float>(0x40490FDBu));
  for (const ConsumedRecord& record : records) {
    const auto value = nlohmann::json::parse(record.value);
    CHECK(record.key == value["device"].get<std::string>());
    partitions[record.key].insert(record.partition);
    const auto number = [&] { return static_cast<int>(value["value"].get<double>()); };
    if (record.key.rfind("hall-", 0) == 0) {
      mqtt_values.insert(number());
      continue;
    }
    if (record.key.rfind("http-", 0) == 0 || record.key.rfind("udp-", 0) == 0) {
      (record.key[0] == 'h' ? http_values : udp_values).insert(number());
      CHECK(record.timestamp_ms == kBaseMs + number());
      continue;
    }
    modbus_ts[record.key].push_back(record.timestamp_ms);
    const std::string metric = value["metric"];
    if (record.key == "boiler-1") {
      CHECK(metric == "flow");
      CHECK(value["value"].get<double>() == 500.0);
      CHECK(value["unit"] == "l/min");
    } else {
      REQUIRE(record.key == "boiler-2");
      if (metric == "pressure") {
        CHECK(value["value"].get<double>() == pi32);
        CHECK(value["unit"] == "bar");
      } else {
        CHECK(metric == "alarm");
        CHECK(value["value"] == true);
      }
    }
  }
  CHECK(mqtt_values.size() == kMqttReadings);
  CHECK(http_values.size() == kHttpReadings);
  CHECK(udp_values.size() == kUdpReadings);
  REQUIRE(modbus_ts.count("boiler-1") == 1);
  REQUIRE(modbus_ts.count("boiler-2") == 1);
  CHECK(modbus_ts["boiler-1"].size() >= 50);
  for (const auto& [key, stamps] : modbus_ts) {
    INFO(key);
    CHECK(std::is_sorted(stamps.begin(), stamps.end()));  // poll order kept per device
  }
  for (const auto& [key, set] : partitions) CHECK(set.size() == 1);
  CHECK(gateway.stop() == 0);
  CHECK_THAT(gateway.log(),
             Catch::Contains("adapters: plant-mqtt (mqtt), boiler-plc (modbus_tcp), ingest "
                             "(http), lines (udp)"));
  CHECK_THAT(gateway.log(), Catch::Contains("boiler-plc: "));
}

}  // namespace
}  // namespace sensorgate::testing
