// End to end for the http and udp adapters: the sensorgate binary runs them beside its MQTT
// adapter (a real mosquitto), real HTTP clients and UDP sockets send, and a Kafka consumer reads
// what arrived in the Kafka-protocol cluster program over TCP.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gateway_process.hpp"
#include "sources.hpp"
#include "support/kafka_cluster.hpp"
#include "support/kafka_consumer.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kBaseMs = 1'763'856'000'000;  // 2025-11-23T00:00:00Z

// The gateway with an http and a udp adapter beside its MQTT adapter, on free loopback ports.
struct Rig {
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  std::uint16_t http_port = free_tcp_port();
  std::uint16_t udp_port = free_udp_port();
  GatewayProcess gateway{GatewayConfig{
      dir.path(), mosquitto.url(), kafka.bootstrap(),
      "  - {name: ingest, type: http, listen: '127.0.0.1:" + std::to_string(http_port) +
          "'}\n"
          "  - {name: lines, type: udp, listen: '127.0.0.1:" +
          std::to_string(udp_port) + "'}\n"}};

  Rig() { gateway.start(); }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", http_port);
    client.set_keep_alive(true);
    client.set_read_timeout(30, 0);
    return client;
  }
};

// value -> how often it arrived, per device prefix ("hall", "http", "udp").
std::map<std::string, std::map<int, int>> by_source(const std::vector<ConsumedRecord>& records) {
  std::map<std::string, std::map<int, int>> out;
  for (const auto& record : records) {
    const auto value = nlohmann::json::parse(record.value);
    const std::string device = value["device"];
    ++out[device.substr(0, device.find('-'))][static_cast<int>(value["value"].get<double>())];
  }
  return out;
}

TEST_CASE("http, udp and mqtt adapters of one gateway all deliver into Kafka") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  for (int n = 0; n < 100; ++n) {
    sensors.publish("plant/site-a/hall-" + std::to_string(n % 5) + "/telemetry",
                    "{\"t\":" + std::to_string(n) + ",\"ts\":" + std::to_string(kBaseMs + n) + "}");
  }
  auto client = rig.client();
  for (int first = 0; first < 100; first += 25) {
    const auto result =
        client.Post("/v1/readings", http_batch(first, 25, kBaseMs), "application/json");
    REQUIRE(result);
    CHECK(result->status == 202);
  }
  // Ten datagrams of ten good lines, two of them with a bad line mixed in.
  for (int d = 0; d < 10; ++d) {
    std::string datagram;
    for (int n = d * 10; n < d * 10 + 10; ++n) {
      datagram += "v,device=udp-" + std::to_string(n % 5) + " value=" + std::to_string(n) + " " +
                  std::to_string((kBaseMs + n) * 1'000'000) + "\n";
      if (d % 5 == 0 && n == d * 10 + 4) datagram += "v,device=udp-x value=\n";
    }
    send_datagram(rig.udp_port, datagram);
  }

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 300, 60s, 500ms);
  INFO(rig.gateway.log());
  REQUIRE(records.size() == 300);
  const auto arrived = by_source(records);
  for (const char* source : {"hall", "http", "udp"}) {
    INFO(source);
    REQUIRE(arrived.count(source) == 1);
    CHECK(arrived.at(source).size() == 100);
    for (const auto& [value, count] : arrived.at(source)) CHECK(count == 1);
  }
  for (const auto& record : records) {
    const auto value = nlohmann::json::parse(record.value);
    const int n = static_cast<int>(value["value"].get<double>());
    CHECK(record.timestamp_ms == kBaseMs + n);
    CHECK(record.key == value["device"]);
  }
  CHECK(rig.gateway.stop() == 0);
  // The stop log counts the two bad lines of the udp adapter by reason.
  CHECK(rig.gateway.log().find("bad_number 2") != std::string::npos);
}

TEST_CASE("every reading answered 202 is in Kafka after a kill -9 right after the answer") {
  Rig rig;
  std::mutex mutex;
  std::set<int> acknowledged;  // readings whose POST was answered 202
  std::atomic<int> next{0};
  constexpr int kBatch = 50;
  // A second client keeps posting, so that requests are in flight when the kill comes. A
  // jthread: a failed REQUIRE below stops and joins it instead of terminating the test binary.
  std::jthread background([&](const std::stop_token& stop) {
    auto client = rig.client();
    while (!stop.stop_requested()) {
      const int first = next.fetch_add(kBatch);
      const auto result =
          client.Post("/v1/readings", http_batch(first, kBatch, kBaseMs), "application/json");
      if (!result) break;  // the gateway is gone
      if (result->status != 202) continue;
      std::lock_guard lock(mutex);
      for (int n = first; n < first + kBatch; ++n) acknowledged.insert(n);
    }
  });
  auto client = rig.client();
  int answered = 0;
  while (answered < 40) {
    const int first = next.fetch_add(kBatch);
    const auto result =
        client.Post("/v1/readings", http_batch(first, kBatch, kBaseMs), "application/json");
    if (!result) {
      FAIL("POST " << answered + 1 << " failed: " << httplib::to_string(result.error()) << "\n"
                   << rig.gateway.log());
    }
    REQUIRE(result->status == 202);
    {
      std::lock_guard lock(mutex);
      for (int n = first; n < first + kBatch; ++n) acknowledged.insert(n);
    }
    ++answered;
  }
  rig.gateway.kill();  // right after the 40th 202
  background.request_stop();
  background.join();
  rig.gateway.start();

  std::set<int> expected;
  {
    std::lock_guard lock(mutex);
    expected = acknowledged;
  }
  const auto records =
      consume_topic(rig.kafka.bootstrap(), "sensors.readings", expected.size(), 60s, 1000ms);
  INFO(rig.gateway.log());
  const auto arrived = by_source(records);
  std::vector<int> missing;
  for (const int n : expected) {
    if (arrived.count("http") == 0 || arrived.at("http").count(n) == 0) missing.push_back(n);
  }
  WARN(expected.size() << " readings answered 202 before the kill; " << records.size()
                       << " records in Kafka after the restart");
  CHECK(missing.empty());
  CHECK(rig.gateway.stop() == 0);
}

}  // namespace
}  // namespace sensorgate::testing
