// End to end: sensors publish to a real mosquitto, the sensorgate binary runs as a child process,
// and a Kafka consumer reads what arrived in the Kafka-protocol cluster program over TCP.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "buffer/buffer.hpp"
#include "gateway_process.hpp"
#include "support/kafka_cluster.hpp"
#include "support/kafka_consumer.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_seed.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kBaseMs = 1'763'856'000'000;  // 2025-11-23T00:00:00Z
constexpr int kDevices = 5;

std::string device_of(int n) {
  return "hall-" + std::to_string(n % kDevices);
}

// Reading n: device hall-(n % 5), temp = n, ts = kBaseMs + n.
void publish_reading(MqttClient& client, int n) {
  client.publish("plant/site-a/" + device_of(n) + "/telemetry",
                 "{\"t\":" + std::to_string(n) + ",\"ts\":" + std::to_string(kBaseMs + n) + "}");
}

void publish_readings(MqttClient& client, int first, int count) {
  for (int n = first; n < first + count; ++n) publish_reading(client, n);
}

// A mosquitto with persistence, the Kafka cluster and the gateway, in one temp dir.
struct Rig {
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  GatewayProcess gateway;

  explicit Rig(std::string extra_yaml = "", std::string commit_interval = "10ms",
               std::string mqtt_ack = "after_commit")
      : gateway(GatewayConfig{dir.path(), mosquitto.url(), kafka.bootstrap(), std::move(extra_yaml),
                              std::move(commit_interval), "", std::move(mqtt_ack)}) {
    gateway.start();
  }
};

struct Arrived {
  std::map<int, int> count_by_value;                  // reading n -> records seen
  std::map<std::string, std::vector<int>> by_device;  // in partition (offset) order
  std::set<std::string> seqs;
  std::size_t records = 0;
  std::size_t duplicate_seqs = 0;
};

Arrived take(const std::vector<ConsumedRecord>& records) {
  Arrived arrived;
  for (const auto& record : records) {
    const auto value = nlohmann::json::parse(record.value);
    const int n = static_cast<int>(value["value"].get<double>());
    ++arrived.count_by_value[n];
    arrived.by_device[record.key].push_back(n);
    if (!arrived.seqs.insert(record.header("seq").value_or("")).second) ++arrived.duplicate_seqs;
    ++arrived.records;
  }
  return arrived;
}

std::vector<int> missing_of(const Arrived& arrived, int first, int count) {
  std::vector<int> missing;
  for (int n = first; n < first + count; ++n) {
    if (arrived.count_by_value.count(n) == 0) missing.push_back(n);
  }
  return missing;
}

// Readings 0..count-1 all arrived, and no Kafka record was sent twice (same seq header).
void check_all_arrived(const Arrived& arrived, int count) {
  CHECK(missing_of(arrived, 0, count).empty());
  CHECK(arrived.duplicate_seqs == 0);
}

// Per device the readings come in publish order (ignoring repeats of a reading resent after a
// crash).
bool in_order_per_device(const Arrived& arrived) {
  for (const auto& [device, values] : arrived.by_device) {
    int highest = -1;
    for (const int n : values) {
      if (n < highest && arrived.count_by_value.at(n) == 1) return false;
      highest = std::max(highest, n);
    }
  }
  return true;
}

std::uint64_t pending_in(const std::filesystem::path& buffer_file) {
  const auto stats = buffer::read_backlog(buffer_file);
  return stats.ok() ? stats->pending : 0;
}

TEST_CASE(
    "N readings over MQTT QoS 1 arrive in Kafka exactly once with key, value, timestamp and "
    "headers") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  constexpr int kReadings = 2000;
  publish_readings(sensors, 0, kReadings);

  const auto records =
      consume_topic(rig.kafka.bootstrap(), "sensors.readings", kReadings, 60s, 500ms);
  INFO(rig.gateway.log());
  REQUIRE(records.size() == kReadings);
  const auto arrived = take(records);
  check_all_arrived(arrived, kReadings);
  CHECK(in_order_per_device(arrived));
  std::map<std::string, std::set<std::int32_t>> partitions;
  for (const auto& record : records) {
    const auto value = nlohmann::json::parse(record.value);
    const int n = static_cast<int>(value["value"].get<double>());
    CHECK(record.key == device_of(n));
    CHECK(value["device"] == device_of(n));
    CHECK(value["metric"] == "temp");
    CHECK(value["unit"] == "C");
    CHECK(value["tags"]["site"] == "site-a");
    CHECK(record.timestamp_ms == kBaseMs + n);
    CHECK(record.header("gateway") == std::optional<std::string>("e2e-gateway"));
    partitions[record.key].insert(record.partition);
  }
  for (const auto& [device, set] : partitions) CHECK(set.size() == 1);
  const auto first = nlohmann::json::parse(records.front().value);
  CHECK(first["ts"].get<std::string>().rfind("2025-11-23T00:00:0", 0) == 0);
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE(
    "with Kafka down the backlog grows, and drains when it returns, nothing lost, order kept") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  publish_readings(sensors, 0, 500);
  REQUIRE(rig.kafka.command("broker down all"));
  publish_readings(sensors, 500, 2000);
  const bool grew = wait_until([&] { return pending_in(rig.gateway.buffer_file()) >= 1500; }, 30s);
  INFO(rig.gateway.log());
  CHECK(grew);
  REQUIRE(rig.kafka.command("broker up all"));

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 2500, 90s, 500ms);
  const auto arrived = take(records);
  CHECK(missing_of(arrived, 0, 2500).empty());
  // librdkafka's mock cluster does not check idempotent sequence numbers (FIELD-NOTES), so a
  // batch retried across the outage may be stored twice there; what the gateway may not do is
  // send a reading twice as two records: every extra record repeats a seq. "No duplicates"
  // across a broker outage is the real-Kafka tier's test (kafka_real_tests).
  CHECK(arrived.records - arrived.duplicate_seqs == 2500);
  CHECK(in_order_per_device(arrived));
  CHECK(wait_until([&] { return pending_in(rig.gateway.buffer_file()) == 0; }, 30s));
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE(
    "after mosquitto restarts the gateway reconnects and its session delivers what was queued") {
  Rig rig;
  {
    MqttClient sensors(rig.mosquitto.url(), "sensors");
    publish_readings(sensors, 0, 500);
  }
  // Let the gateway take the first half before the broker goes away.
  REQUIRE(consume_topic(rig.kafka.bootstrap(), "sensors.readings", 500, 60s, 0ms).size() >= 500);
  rig.mosquitto.stop();
  rig.mosquitto.start();
  {
    // Published at once, before the gateway is back: the broker queues them for its session.
    MqttClient sensors(rig.mosquitto.url(), "sensors");
    publish_readings(sensors, 500, 500);
  }
  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 1000, 60s, 500ms);
  INFO(rig.gateway.log());
  const auto arrived = take(records);
  check_all_arrived(arrived, 1000);
  CHECK(rig.gateway.log().find("lost") != std::string::npos);  // it noticed the broker leave
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("a gateway stopped with SIGTERM mid-stream and started again loses nothing") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  publish_readings(sensors, 0, 1000);
  CHECK(rig.gateway.stop() == 0);
  publish_readings(sensors, 1000, 1000);  // queued by the broker for the gateway's session
  rig.gateway.start();
  publish_readings(sensors, 2000, 500);

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 2500, 60s, 500ms);
  INFO(rig.gateway.log());
  const auto arrived = take(records);
  check_all_arrived(arrived, 2500);
  CHECK(in_order_per_device(arrived));
  CHECK(rig.gateway.stop() == 0);
}

// Publishes reading 0, 1, 2, ... at a steady 2000 readings/s, as a plant might send, until
// stopped; each publish waits for mosquitto's ack, so `published` readings are safe in the broker.
class SteadyPublisher {
 public:
  explicit SteadyPublisher(const std::string& url, int limit = std::numeric_limits<int>::max())
      : client_(url, "sensors"), thread_([this, limit] {
          const auto start = std::chrono::steady_clock::now();
          for (int n = 0; n < limit && !stopping_; ++n) {
            std::this_thread::sleep_until(start + n * 500us);
            publish_reading(client_, n);
            published_ = n + 1;
          }
        }) {}
  ~SteadyPublisher() { stop(); }
  // Stops at once; returns how many readings were published.
  int stop() {
    stopping_ = true;
    return finish();
  }
  // Waits until the limit is published; returns how many readings were published.
  int finish() {
    if (thread_.joinable()) thread_.join();
    return published_;
  }
  int published() const { return published_; }

 private:
  MqttClient client_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> published_{0};
  std::thread thread_;
};

TEST_CASE(
    "with ack: on_receive a gateway killed with SIGKILL mid-stream loses at most its "
    "commit window") {
  Rig rig("", "10ms", "on_receive");
  constexpr int kReadings = 6000;
  SteadyPublisher publisher(rig.mosquitto.url(), kReadings);
  REQUIRE(wait_until([&] { return publisher.published() >= 2000; }, 30s));
  rig.gateway.kill();
  rig.gateway.start();
  REQUIRE(publisher.finish() == kReadings);

  const auto records =
      consume_topic(rig.kafka.bootstrap(), "sensors.readings", kReadings, 60s, 1000ms);
  INFO(rig.gateway.log());
  const auto arrived = take(records);
  const auto missing = missing_of(arrived, 0, kReadings);
  // The loss window is the time from Paho's ack on return from the callback to the group commit:
  // commit_interval (10 ms, 20 readings at this rate) plus the hand-off to the writer and the
  // commit itself. Allow 30 ms of stream.
  WARN("ack: on_receive, kill -9 at 2000 readings/s, commit_interval 10ms: "
       << missing.size() << " readings lost, " << arrived.records - (kReadings - missing.size())
       << " delivered twice (resent with their seq after the crash)");
  CHECK(missing.size() <= 60);
  CHECK(in_order_per_device(arrived));
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("with ack: after_commit ten SIGKILLs at 2000 readings/s lose no reading") {
  Rig rig;
  const unsigned seed = test_seed("after_commit SIGKILL");
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> run_ms(300, 900);
  // At most 12 s of stream: a slow build (ASan) commits one message at a time more slowly than
  // 2000/s, and must still drain what the broker kept within the consume deadline below.
  constexpr int kMaxReadings = 24'000;
  SteadyPublisher publisher(rig.mosquitto.url(), kMaxReadings);
  REQUIRE(wait_until([&] { return publisher.published() >= 500; }, 30s));
  constexpr int kKills = 10;
  for (int kill = 0; kill < kKills; ++kill) {
    // A random moment of the stream: the chaos interval, not a wait for a condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms(random)));
    rig.gateway.kill();
    rig.gateway.start();
  }
  const int readings = publisher.stop();

  const auto records =
      consume_topic(rig.kafka.bootstrap(), "sensors.readings", readings, 90s, 1000ms);
  INFO(rig.gateway.log());
  const auto arrived = take(records);
  const auto missing = missing_of(arrived, 0, readings);
  WARN("ack: after_commit, " << kKills << " kill -9 at 2000 readings/s, " << readings
                             << " readings: " << missing.size() << " lost, "
                             << arrived.records - (readings - missing.size())
                             << " delivered twice (committed but not yet acknowledged, or sent "
                                "but not yet marked delivered, at a kill)");
  CHECK(readings > kKills * 500);
  CHECK(missing.empty());
  CHECK(in_order_per_device(arrived));
  CHECK(rig.gateway.stop() == 0);
}

// The test hook of the MQTT adapter: a payload holding this text aborts the gateway inside the
// message callback, as a crashing parser would.
const std::string kCrashHook = "SENSORGATE_TEST_CRASH_ON=crash-here";
constexpr int kAbortExit = 128 + SIGABRT;

// Reading n with the text the hook crashes on.
void publish_crashing_reading(MqttClient& client, int n) {
  client.publish("plant/site-a/" + device_of(n) + "/telemetry",
                 "{\"t\":" + std::to_string(n) + ",\"ts\":" + std::to_string(kBaseMs + n) +
                     ",\"note\":\"crash-here\"}");
}

// Restarts the gateway with the crash hook, publishes reading 0 and the crashing reading 1, and
// waits for the gateway to die on it inside the MQTT callback.
void crash_on_reading_1(Rig& rig, MqttClient& sensors) {
  REQUIRE(rig.gateway.stop() == 0);
  rig.gateway.start({kCrashHook});
  publish_reading(sensors, 0);
  publish_crashing_reading(sensors, 1);
  REQUIRE(rig.gateway.wait_for_exit(20s) == kAbortExit);
}

TEST_CASE("a message the gateway dies on inside the callback comes back after the restart") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  crash_on_reading_1(rig, sensors);
  rig.gateway.start();  // without the hook the same message maps fine
  publish_reading(sensors, 2);

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 3, 60s, 500ms);
  INFO(rig.gateway.log());
  CHECK(missing_of(take(records), 0, 3).empty());
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("a message the gateway dies on twice goes to the dead letters and the stream goes on") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  crash_on_reading_1(rig, sensors);
  rig.gateway.launch({kCrashHook});  // the broker resends it at once: the second crash
  REQUIRE(rig.gateway.wait_for_exit(30s) == kAbortExit);
  rig.gateway.start({kCrashHook});  // the third time it is poison: kept aside, acknowledged
  for (int n = 2; n < 100; ++n) publish_reading(sensors, n);

  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 99, 60s, 500ms);
  const auto log = rig.gateway.log();
  INFO(log);
  const auto arrived = take(records);
  CHECK(arrived.count_by_value.count(1) == 0);
  CHECK(missing_of(arrived, 0, 1).empty());
  CHECK(missing_of(arrived, 2, 98).empty());
  CHECK_THAT(log, Catch::Contains("rejected (poison) message on plant/site-a/hall-1/telemetry"));
  CHECK(rig.gateway.stop() == 0);
  const auto backlog = buffer::read_backlog(rig.gateway.buffer_file());
  REQUIRE(backlog.ok());
  CHECK(backlog->dead_letter_total == 1);
  // Acknowledged: a restart gets nothing resent (the hook would abort it again).
  rig.gateway.start({kCrashHook});
  publish_reading(sensors, 100);
  REQUIRE(consume_topic(rig.kafka.bootstrap(), "sensors.readings", 100, 60s, 500ms).size() >= 100);
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE(
    "10,000 malformed payloads among good ones: every good one delivered, rejects counted by "
    "reason") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  constexpr int kGood = 1000;
  for (int n = 0; n < kGood; ++n) {
    publish_reading(sensors, n);
    for (int bad = 0; bad < 10; ++bad) {
      const std::string topic = "plant/site-a/" + device_of(n) + "/telemetry";
      switch (bad % 4) {
        case 0:
          sensors.publish(topic, "{\"t\": 21.5,");
          break;  // bad_json
        case 1:
          sensors.publish(topic, "{\"x\": 1, \"ts\": 1}");
          break;  // missing_field
        case 2:
          sensors.publish(topic, "{\"t\": {\"c\": 1}, \"ts\": 1}");
          break;  // bad_number
        case 3:
          sensors.publish(topic, "{\"t\": 1, \"ts\": \"soon\"}");
          break;  // bad_timestamp
      }
    }
  }
  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", kGood, 60s, 500ms);
  const auto arrived = take(records);
  CHECK(missing_of(arrived, 0, kGood).empty());
  CHECK(arrived.records == kGood);
  CHECK(rig.gateway.stop() == 0);
  const auto log = rig.gateway.log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("11000 messages, 1000 readings, rejected: bad_json 3000, "
                                  "missing_field 3000, bad_number 2000, bad_timestamp 2000"));
}

TEST_CASE(
    "a reading over a threshold raises an alert on the local MQTT topic at once while Kafka is "
    "down, and in Kafka after") {
  Rig rig(
      "rules:\n"
      "  - name: hall-hot\n"
      "    match: {device: \"hall-*\", metric: temp}\n"
      "    when: value > 30\n"
      "    severity: critical\n"
      "    mqtt: alerts/{device}\n");
  MqttClient listener(rig.mosquitto.url(), "alert-listener");
  listener.subscribe("alerts/#");
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  REQUIRE(rig.kafka.command("broker down all"));
  // Kafka is down once the gateway has seen it go.
  REQUIRE(wait_until(
      [&] {
        return rig.gateway.log().find("kafka: cluster ") != std::string::npos &&
               rig.gateway.log().find(" unreachable (") != std::string::npos;
      },
      10s));
  publish_reading(sensors, 1);   // temp 1: fine
  publish_reading(sensors, 35);  // hall-0, temp 35: too hot
  const auto published = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return !listener.received().empty(); }, 10s));
  const auto alert = listener.received().front();
  const auto latency =
      std::chrono::duration_cast<std::chrono::milliseconds>(alert.arrived - published);
  WARN("alert on the local MQTT topic " << latency.count()
                                        << " ms after the reading was published");
  CHECK(latency < 100ms * time_scale());
  CHECK(alert.topic == "alerts/hall-0");
  const auto event = nlohmann::json::parse(alert.payload);
  CHECK(event["rule"] == "hall-hot");
  CHECK(event["state"] == "firing");
  CHECK(event["device"] == "hall-0");
  CHECK(event["value"] == 35);
  CHECK(event["threshold"] == 30);

  REQUIRE(rig.kafka.command("broker up all"));
  const auto alerts = consume_topic(rig.kafka.bootstrap(), "sensors.alerts", 1, 60s, 500ms);
  INFO(rig.gateway.log());
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].key == "hall-0");
  CHECK(nlohmann::json::parse(alerts[0].value)["rule"] == "hall-hot");
  CHECK(rig.gateway.stop() == 0);
}

}  // namespace
}  // namespace sensorgate::testing
