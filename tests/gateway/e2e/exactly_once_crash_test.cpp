// End to end with kafka.delivery: exactly_once on a real 3-broker Apache Kafka cluster
// (tests/kafka): sensors publish 2000 readings/s over MQTT QoS 1 to a real mosquitto, the
// sensorgate binary is killed with SIGKILL 20 times at random moments and started again (with
// a broker killed with kill -9 in the middle), and a read_committed consumer must see every
// reading the buffer committed exactly once: the seqs 1..delivered_total, each once, in order
// per device.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "buffer/buffer.hpp"
#include "gateway_process.hpp"
#include "kafka/real_cluster.hpp"
#include "support/kafka_consumer.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_seed.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 20;
constexpr int kPartitions = 6;
constexpr int kKills = 20;

std::string device_of(int n) {
  return "line-" + std::to_string(n % kDevices);
}

// The e2e gateway's config, with exactly_once and this test's own topics.
std::string exactly_once_config(const std::filesystem::path& dir, const std::string& mqtt_url,
                                const std::string& topic, const std::string& progress_topic) {
  return "gateway: {id: e2e-eos, data_dir: " + (dir / "state").string() +
         "}\n"
         "buffer: {commit_interval: 10ms}\n"
         "kafka:\n"
         "  brokers: " +
         real_kafka().bootstrap() +
         "\n"
         "  topic: " +
         topic +
         "\n"
         "  delivery: exactly_once\n"
         "  transaction_interval: 100ms\n"
         "  progress_topic: " +
         progress_topic +
         "\n"
         "adapters:\n"
         "  - name: plant-mqtt\n"
         "    type: mqtt\n"
         "    url: " +
         mqtt_url +
         "\n"
         "    reconnect_min: 100ms\n"
         "    reconnect_max: 1s\n"
         "    subscriptions:\n"
         "      - filter: plant/+/+/telemetry\n"
         "        device: \"{2}\"\n"
         "        payload: json\n"
         "        metrics: {temp: {field: t, unit: C}}\n";
}

TEST_CASE(
    "exactly once: 20 kill -9 of the gateway at 2000 readings/s, a broker killed too: "
    "every committed reading once") {
  const std::string suffix = std::to_string(std::random_device{}());
  const std::string topic = "real.e2e.eos." + suffix;
  real_kafka().create_topic(topic, kPartitions);
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  GatewayProcess gateway(
      GatewayConfig{dir.path(), mosquitto.url(), real_kafka().bootstrap(), "", "10ms"});
  write_file(gateway.config_file(), exactly_once_config(dir.path(), mosquitto.url(), topic,
                                                        "real.e2e.progress." + suffix));
  gateway.start();

  MqttClient sensors(mosquitto.url(), "sensors");
  std::atomic<bool> publishing{true};
  std::atomic<int> published{0};
  // At most 20 s of stream, so that a slow build (ASan) drains what the broker kept in time.
  constexpr int kMaxReadings = 40'000;
  std::thread publisher([&] {
    const auto start = std::chrono::steady_clock::now();
    for (int n = 0; publishing && n < kMaxReadings; ++n) {
      std::this_thread::sleep_until(start + n * 500us);  // 2000 readings/s
      sensors.publish("plant/site-a/" + device_of(n) + "/telemetry",
                      "{\"t\":" + std::to_string(n) + "}");
      published = n + 1;
    }
  });
  // Joined on every way out, also when an assertion below throws.
  struct Join {
    std::atomic<bool>& running;
    std::thread& thread;
    ~Join() {
      running = false;
      if (thread.joinable()) thread.join();
    }
  } join{publishing, publisher};

  std::mt19937 random(test_seed("exactly_once gateway kill test"));
  int killed_broker = -1;
  for (int kill = 1; kill <= kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + random() % 1300));
    gateway.kill();
    if (kill == kKills / 3) {
      REQUIRE(wait_until(
          [&] {
            killed_broker = real_kafka().leader_of(topic, 0);
            return killed_broker > 0;
          },
          30s));
      real_kafka().kill_broker(killed_broker);
    }
    if (kill == 2 * kKills / 3) real_kafka().restart_broker(killed_broker);
    gateway.start();
  }
  publishing = false;
  publisher.join();
  // Drained once nothing is pending and nothing more comes (mosquitto may still hold a few
  // readings queued for the session when the buffer first runs empty).
  std::uint64_t seen = 0;
  int quiet_polls = 0;
  REQUIRE(wait_until(
      [&] {
        const auto stats = buffer::read_backlog(gateway.buffer_file());
        if (!stats.ok() || stats->pending != 0 || stats->delivered_total != seen) {
          if (stats.ok()) seen = stats->delivered_total;
          quiet_polls = 0;
          return false;
        }
        return ++quiet_polls >= 100;
      },
      90s));
  REQUIRE(gateway.stop() == 0);
  const auto stats = buffer::read_backlog(gateway.buffer_file());
  REQUIRE(stats.ok());
  const std::uint64_t committed = stats->delivered_total;
  CHECK(stats->dead_letter_total == 0);
  CHECK(stats->dropped_total == 0);

  const auto records = consume_topic(real_kafka().bootstrap(), topic, committed, 60s, 2s);
  std::map<std::int64_t, int> by_seq;
  std::map<int, int> by_value;
  std::map<std::string, std::int64_t> last_seq_of_device;
  bool in_order = true;
  for (const auto& record : records) {
    const std::int64_t seq = std::stoll(record.header("seq").value_or("0"));
    ++by_seq[seq];
    ++by_value[static_cast<int>(nlohmann::json::parse(record.value)["value"].get<double>())];
    auto& last = last_seq_of_device[record.key];
    if (seq <= last) in_order = false;
    last = seq;
  }
  std::size_t duplicates = 0;
  for (const auto& [seq, count] : by_seq) duplicates += static_cast<std::size_t>(count - 1);
  std::size_t missing_seqs = 0;
  for (std::uint64_t seq = 1; seq <= committed; ++seq) {
    if (by_seq.count(static_cast<std::int64_t>(seq)) == 0) ++missing_seqs;
  }
  std::size_t unpublished = 0;      // readings the buffer never committed (lost before commit)
  std::size_t twice_over_mqtt = 0;  // redelivered by mosquitto after a kill, stored twice
  for (int n = 0; n < published; ++n) {
    const auto found = by_value.find(n);
    if (found == by_value.end()) {
      ++unpublished;
    } else if (found->second > 1) {
      ++twice_over_mqtt;
    }
  }
  WARN("exactly once, " << kKills << " gateway kills, broker " << killed_broker
                        << " killed: " << published << " readings published, " << committed
                        << " committed to the buffer, " << records.size() << " consumed; "
                        << missing_seqs << " committed seqs missing, " << duplicates
                        << " duplicate seqs; " << unpublished
                        << " published readings never committed to the buffer (lost on the MQTT "
                           "side, cause not established), "
                        << twice_over_mqtt << " readings stored twice (MQTT redelivery)");
  INFO(gateway.log());
  CHECK(missing_seqs == 0);
  CHECK(duplicates == 0);
  CHECK(records.size() == committed);
  CHECK(in_order);
}

TEST_CASE(
    "exactly once: a second gateway with the same id fences the first, which exits 1 "
    "with a clear error") {
  const std::string suffix = std::to_string(std::random_device{}());
  const std::string topic = "real.e2e.fence." + suffix;
  real_kafka().create_topic(topic, kPartitions);
  TempDir first_dir;
  TempDir second_dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  GatewayProcess first(
      GatewayConfig{first_dir.path(), mosquitto.url(), real_kafka().bootstrap(), "", "10ms"});
  write_file(first.config_file(), exactly_once_config(first_dir.path(), mosquitto.url(), topic,
                                                      "real.e2e.progress." + suffix));
  first.start();
  MqttClient sensors(mosquitto.url(), "sensors");
  for (int n = 0; n < 100; ++n) {
    sensors.publish("plant/site-a/" + device_of(n) + "/telemetry", "{\"t\":1}");
  }
  REQUIRE(
      wait_until([&] { return first.log().find("last committed seq") != std::string::npos; }, 30s));

  GatewayProcess second(
      GatewayConfig{second_dir.path(), mosquitto.url(), real_kafka().bootstrap(), "", "10ms"});
  write_file(second.config_file(), exactly_once_config(second_dir.path(), mosquitto.url(), topic,
                                                       "real.e2e.progress." + suffix));
  second.start();
  // The first learns at its next transaction: keep readings coming.
  const bool fenced = wait_until(
      [&] {
        sensors.publish("plant/site-a/line-0/telemetry", "{\"t\":2}");
        return first.log().find("another process took over transactional.id sensorgate-e2e-eos") !=
               std::string::npos;
      },
      30s);
  INFO(first.log());
  REQUIRE(fenced);
  CHECK(first.stop() == 1);
  CHECK(second.stop() == 0);
}

}  // namespace
}  // namespace sensorgate::testing
