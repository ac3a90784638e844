// The status endpoint end to end: the sensorgate binary runs with a real mosquitto and the Kafka
// cluster program, sensors publish good and bad payloads, and a real HTTP client scrapes
// /metrics, /status and /healthz while Kafka goes down and comes back and the buffer fills up;
// `sensorgate status` and `check` run as processes, the way an operator runs them.
#include <httplib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <sstream>

#include "gateway_process.hpp"
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
const std::string kBinary = std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate";

std::string http_yaml(std::uint16_t port, const std::string& token_file = "") {
  return "http: {listen: '127.0.0.1:" + std::to_string(port) + "'" +
         (token_file.empty() ? "" : ", token_file: " + token_file) + "}\n";
}

// mosquitto, the Kafka cluster and the gateway with its status endpoint on a free port.
struct Rig {
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  std::uint16_t port = free_tcp_port();
  GatewayProcess gateway;

  explicit Rig(const std::string& extra_yaml = "", const std::string& buffer_extra = "")
      : gateway(GatewayConfig{dir.path(), mosquitto.url(), kafka.bootstrap(),
                              extra_yaml + http_yaml(port), "10ms", buffer_extra}) {
    gateway.start();
  }

  httplib::Result get(const std::string& path) const {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10, 0);
    return client.Get(path);
  }

  nlohmann::json status() const {
    const auto answer = get("/status");
    REQUIRE(answer);
    REQUIRE(answer->status == 200);
    return nlohmann::json::parse(answer->body);
  }
};

// Sample lines of the exposition, "name{labels}" -> value; comments left out.
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// The value of one sample, or nullopt when the endpoint does not answer or lacks it.
std::optional<double> metric(const Rig& rig, const std::string& sample) {
  const auto answer = rig.get("/metrics");
  if (!answer || answer->status != 200) return std::nullopt;
  const auto samples = parse_metrics(answer->body);
  const auto found = samples.find(sample);
  if (found == samples.end()) return std::nullopt;
  return found->second;
}

bool metric_is(const Rig& rig, const std::string& sample, double value) {
  const auto found = metric(rig, sample);
  return found && *found == value;
}

void publish_good(MqttClient& sensors, int first, int count) {
  for (int n = first; n < first + count; ++n) {
    sensors.publish("plant/site-a/hall-" + std::to_string(n % 5) + "/telemetry",
                    "{\"t\":" + std::to_string(n) + ",\"ts\":" + std::to_string(kBaseMs + n) + "}");
  }
}

struct Run {
  int exit_code;
  std::string out;
  std::string err;
};

// The sensorgate binary with `args`, to its end.
Run run_sensorgate(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  SubprocessOptions options;
  options.stderr_file = dir / "cli-stderr.txt";
  Subprocess process(args, options);
  std::string out;
  for (int i = 0; i < 100'000; ++i) {
    const auto line = process.read_line(20s);
    if (!line) break;
    out += *line + "\n";
  }
  const auto status = process.wait(20s);
  REQUIRE(status);
  return Run{exit_code_of(*status), out, read_file(dir / "cli-stderr.txt")};
}

}  // namespace

TEST_CASE("during a run /metrics counts what was sent, rejected, committed and delivered") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  publish_good(sensors, 0, 300);
  const std::string topic = "plant/site-a/hall-1/telemetry";
  for (int i = 0; i < 7; ++i) sensors.publish(topic, "not json " + std::to_string(i));
  for (int i = 0; i < 4; ++i) sensors.publish(topic, "{\"t\":[1],\"ts\":1}");
  for (int i = 0; i < 3; ++i) sensors.publish(topic, "{\"t\":1,\"ts\":\"yesterday\"}");
  // Scraped while it runs: the counters reach what was sent and delivered.
  const bool delivered = wait_until(
      [&] {
        return metric_is(rig, "sensorgate_kafka_delivered_total{topic=\"sensors.readings\"}",
                         300) &&
               metric_is(rig, "sensorgate_buffer_pending", 0);
      },
      60s);
  INFO(rig.gateway.log());
  REQUIRE(delivered);

  const auto answer = rig.get("/metrics");
  REQUIRE(answer);
  CHECK(answer->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  const auto samples = parse_metrics(answer->body);
  const std::string adapter = "{adapter=\"plant-mqtt\"}";
  CHECK(samples.at("sensorgate_messages_received_total" + adapter) == 314);
  CHECK(samples.at("sensorgate_readings_received_total" + adapter) == 300);
  CHECK(samples.at("sensorgate_readings_committed_total") == 300);
  const std::string rejected = "sensorgate_readings_rejected_total{adapter=\"plant-mqtt\",reason=";
  CHECK(samples.at(rejected + "\"bad_json\"}") == 7);
  CHECK(samples.at(rejected + "\"bad_number\"}") == 4);
  CHECK(samples.at(rejected + "\"bad_timestamp\"}") == 3);
  int reject_series = 0;
  for (const auto& [name, value] : samples) reject_series += name.rfind(rejected, 0) == 0;
  CHECK(reject_series == 3);
  CHECK(samples.at("sensorgate_adapter_up" + adapter) == 1);
  CHECK(samples.at("sensorgate_kafka_up") == 1);
  CHECK(samples.at("sensorgate_kafka_errors_total") == 0);
  CHECK(samples.at("sensorgate_buffer_dropped_total") == 0);
  CHECK(samples.at("sensorgate_buffer_db_bytes") > 0);
  CHECK(samples.at("sensorgate_alerts_firing") == 0);
  CHECK(samples.at("process_resident_memory_bytes") > 0);
  CHECK(samples.count("sensorgate_build_info{version=\"" SENSORGATE_VERSION "\"}") == 1);
  // What Kafka holds is what the counters say.
  const auto records = consume_topic(rig.kafka.bootstrap(), "sensors.readings", 300, 30s, 500ms);
  CHECK(records.size() == 300);
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE(
    "/status and `sensorgate status` show the adapter, Kafka, the backlog and a firing alert") {
  Rig rig(
      "rules:\n"
      "  - {name: hall-hot, match: {device: \"hall-*\", metric: temp}, when: value > 30,\n"
      "     severity: critical}\n");
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  publish_good(sensors, 0, 20);
  publish_good(sensors, 31, 1);  // hall-1, temp 31: too hot
  REQUIRE(wait_until([&] { return metric_is(rig, "sensorgate_alerts_firing", 1); }, 20s));
  REQUIRE(wait_until(
      [&] {
        return metric_is(rig, "sensorgate_alerts_total{rule=\"hall-hot\",severity=\"critical\"}",
                         1);
      },
      5s));

  const auto status = rig.status();
  INFO(status.dump(2));
  CHECK(status["gateway"] == "e2e-gateway");
  CHECK(status["version"] == SENSORGATE_VERSION);
  CHECK(status["healthy"] == true);
  REQUIRE(status["adapters"].size() == 1);
  const auto& adapter = status["adapters"][0];
  CHECK(adapter["name"] == "plant-mqtt");
  CHECK(adapter["type"] == "mqtt");
  CHECK(adapter["up"] == true);
  CHECK(adapter["readings"] == 21);
  CHECK(adapter["messages"] == 21);
  CHECK(adapter["rejected"].empty());
  CHECK(adapter.contains("readings_per_s"));
  CHECK(status["kafka"]["up"] == true);
  CHECK(status["kafka"]["down_since"].is_null());
  CHECK(status["kafka"]["brokers"] == rig.kafka.bootstrap());
  for (const char* key : {"pending", "pending_bytes", "oldest_ts", "oldest_age_s", "newest_ts",
                          "delivered_total", "dropped_total", "dead_letter_total", "db_bytes"}) {
    CHECK(status["backlog"].contains(key));
  }
  REQUIRE(status["alerts"]["firing"].size() == 1);
  CHECK(status["alerts"]["firing"][0]["rule"] == "hall-hot");
  CHECK(status["alerts"]["firing"][0]["device"] == "hall-1");
  CHECK(status["alerts"]["recent"].size() == 1);

  const Run summary = run_sensorgate(rig.dir, {"status", "--config", rig.gateway.config_file()});
  INFO(summary.out << summary.err);
  CHECK(summary.exit_code == 0);
  CHECK(summary.out.rfind("gateway e2e-gateway (sensorgate " SENSORGATE_VERSION "), up ", 0) == 0);
  CHECK(summary.out.find(": healthy\n") != std::string::npos);
  CHECK(summary.out.find("plant-mqtt  mqtt  up") != std::string::npos);
  CHECK(summary.out.find("kafka    connected to " + rig.kafka.bootstrap()) != std::string::npos);
  CHECK(summary.out.find("backlog  ") != std::string::npos);
  CHECK(summary.out.find("hall-hot  hall-1  temp") != std::string::npos);

  const Run json =
      run_sensorgate(rig.dir, {"status", "--config", rig.gateway.config_file(), "--json"});
  CHECK(json.exit_code == 0);
  const auto passed = nlohmann::json::parse(json.out);
  CHECK(passed["gateway"] == "e2e-gateway");
  CHECK(passed["alerts"]["firing"][0]["rule"] == "hall-hot");
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("with Kafka stopped kafka_up is 0 within 5 s and /healthz stays 200, and it recovers") {
  Rig rig;
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  publish_good(sensors, 0, 10);
  REQUIRE(wait_until(
      [&] {
        return metric_is(rig, "sensorgate_kafka_up", 1) &&
               metric_is(rig, "sensorgate_kafka_delivered_total{topic=\"sensors.readings\"}", 10);
      },
      20s));
  REQUIRE(rig.kafka.command("broker down all"));
  const auto stopped = std::chrono::steady_clock::now();
  const bool down = wait_until([&] { return metric_is(rig, "sensorgate_kafka_up", 0); }, 10s);
  const auto took = std::chrono::steady_clock::now() - stopped;
  INFO(rig.gateway.log());
  REQUIRE(down);
  CHECK(took < 5s);
  const auto status = rig.status();
  CHECK(status["kafka"]["up"] == false);
  CHECK(status["kafka"]["down_since"].is_string());
  publish_good(sensors, 10, 10);  // buffered meanwhile
  REQUIRE(wait_until([&] { return metric_is(rig, "sensorgate_buffer_pending", 10); }, 10s));
  const auto health = rig.get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");

  REQUIRE(rig.kafka.command("broker up all"));
  REQUIRE(wait_until(
      [&] {
        return metric_is(rig, "sensorgate_kafka_up", 1) &&
               metric_is(rig, "sensorgate_buffer_pending", 0) &&
               metric_is(rig, "sensorgate_kafka_delivered_total{topic=\"sensors.readings\"}", 20);
      },
      60s));
  CHECK(rig.status()["kafka"]["down_since"].is_null());
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE(
    "a full buffer with on_full: reject makes /healthz 503 with the reason, until it drains") {
  Rig rig("", ", max_bytes: 8KiB, on_full: reject");
  MqttClient sensors(rig.mosquitto.url(), "sensors");
  REQUIRE(rig.kafka.command("broker down all"));
  REQUIRE(wait_until([&] { return metric_is(rig, "sensorgate_kafka_up", 0); }, 10s));
  // About 150 bytes a reading: 200 readings are more than 8 KiB.
  publish_good(sensors, 0, 200);
  std::string body;
  const bool unhealthy = wait_until(
      [&] {
        const auto answer = rig.get("/healthz");
        if (!answer || answer->status != 503) return false;
        body = answer->body;
        return true;
      },
      20s);
  INFO(rig.gateway.log());
  REQUIRE(unhealthy);
  CHECK(body.rfind("the buffer is full and refuses readings (buffer.on_full: reject): ", 0) == 0);
  CHECK_FALSE(rig.status()["healthy"]);

  REQUIRE(rig.kafka.command("broker up all"));
  const bool recovered = wait_until(
      [&] {
        const auto answer = rig.get("/healthz");
        return answer && answer->status == 200 &&
               metric_is(rig, "sensorgate_kafka_delivered_total{topic=\"sensors.readings\"}", 200);
      },
      60s);
  CHECK(recovered);
  CHECK(rig.status()["healthy"] == true);
  CHECK(rig.gateway.stop() == 0);
}

TEST_CASE("with http.token_file every request but the page needs the bearer token") {
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  write_file(dir / "status.token", "s3cret-token\n");
  REQUIRE(::chmod((dir / "status.token").c_str(), 0600) == 0);
  const std::uint16_t port = free_tcp_port();
  GatewayProcess gateway(GatewayConfig{dir.path(), mosquitto.url(), kafka.bootstrap(),
                                       http_yaml(port, (dir / "status.token").string())});
  gateway.start();
  httplib::Client client("127.0.0.1", port);
  for (const char* path : {"/metrics", "/status", "/healthz"}) {
    INFO(path);
    const auto without = client.Get(path);
    REQUIRE(without);
    CHECK(without->status == 401);
    CHECK(without->get_header_value("WWW-Authenticate") == "Bearer");
    const auto wrong = client.Get(path, {{"Authorization", "Bearer s3cret-tokeN"}});
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    const auto right = client.Get(path, {{"Authorization", "Bearer s3cret-token"}});
    REQUIRE(right);
    CHECK(right->status == 200);
  }
  const auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  // `status` sends the token of the config.
  const Run status = run_sensorgate(dir, {"status", "--config", gateway.config_file()});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("`status` without a running daemon exits 1 with one line saying where it looked") {
  TempDir dir;
  const std::uint16_t port = free_tcp_port();
  write_file(dir / "sensorgate.yaml",
             "gateway: {id: nobody, data_dir: " + (dir / "state").string() +
                 "}\nkafka: {brokers: '127.0.0.1:9092'}\n" + http_yaml(port));
  const Run run = run_sensorgate(dir, {"status", "--config", (dir / "sensorgate.yaml").string()});
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());
  CHECK(run.err == "sensorgate status: the daemon does not answer at http://127.0.0.1:" +
                       std::to_string(port) + "/status (http.listen in " +
                       (dir / "sensorgate.yaml").string() +
                       "): cannot connect (is it running? is http.listen what it listens on?)\n");
}

TEST_CASE("`check` refuses a status endpoint on a non-loopback address without token_file") {
  TempDir dir;
  write_file(dir / "sensorgate.yaml",
             "kafka: {brokers: '127.0.0.1:9092'}\n"
             "http: {listen: '0.0.0.0:9464'}\n");
  const Run run = run_sensorgate(dir, {"check", "--config", (dir / "sensorgate.yaml").string()});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find((dir / "sensorgate.yaml").string() +
                     ":2:16: error: http.listen: 0.0.0.0:9464 is reachable from other machines, "
                     "so token_file is required") != std::string::npos);
}

}  // namespace sensorgate::testing
