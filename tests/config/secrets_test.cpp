// Secret files (Kafka secrets, MQTT password_file, HTTP token_file): read at load time,
// relative to the config file, with their permissions checked.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/config/config_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sensorgate::config;
using sensorgate::config::testing::load_file;
using sensorgate::config::testing::messages;
using sensorgate::testing::TempDir;
using sensorgate::testing::write_file;
using Lines = std::vector<std::string>;

namespace {

void write_secret(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  write_file(path, text);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

LoadOutcome load_in(const TempDir& dir, const std::string& yaml) {
  write_file(dir / "sensorgate.yaml", yaml);
  return load_file(dir / "sensorgate.yaml");
}

}  // namespace

TEST_CASE("kafka secrets are read from files relative to the config, without the newline") {
  TempDir dir;
  write_secret(dir / "kafka.password", "s3cret\n", 0600);
  const auto outcome = load_in(dir,
                               "kafka:\n"
                               "  brokers: k:9092\n"
                               "  properties: {security.protocol: SASL_SSL, linger.ms: 5}\n"
                               "  secrets: {sasl.password: kafka.password}\n");
  REQUIRE(outcome.ok());
  CHECK(outcome.diagnostics.empty());
  const KafkaSection& kafka = outcome.config->kafka;
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(kafka.properties == Pairs{{"security.protocol", "SASL_SSL"}, {"linger.ms", "5"}});
  REQUIRE(kafka.secrets.size() == 1);
  CHECK(kafka.secrets[0].first == "sasl.password");
  CHECK(kafka.secrets[0].second == dir / "kafka.password");
  CHECK(kafka.secret_values == Pairs{{"sasl.password", "s3cret"}});
}

TEST_CASE("a missing secret file is an error naming the file") {
  TempDir dir;
  const auto outcome = load_in(dir,
                               "kafka:\n"
                               "  brokers: k:9092\n"
                               "  secrets: {sasl.password: missing.password}\n");
  CHECK_FALSE(outcome.ok());
  const std::string file = (dir / "sensorgate.yaml").string();
  CHECK(messages(outcome) ==
        Lines{file + ":3:28: error: kafka.secrets.sasl.password: cannot read secret file " +
              (dir / "missing.password").string() + ": No such file or directory"});
}

TEST_CASE("a secret file other users can read loads with a warning") {
  TempDir dir;
  write_secret(dir / "kafka.password", "s3cret", 0644);
  const auto outcome = load_in(dir,
                               "kafka:\n"
                               "  brokers: k:9092\n"
                               "  secrets: {sasl.password: kafka.password}\n");
  REQUIRE(outcome.ok());
  const std::string secret = (dir / "kafka.password").string();
  CHECK(messages(outcome) == Lines{(dir / "sensorgate.yaml").string() +
                                   ":3:28: warning: kafka.secrets.sasl.password: secret file " +
                                   secret + " is readable by other users; chmod 600 " + secret});
}

TEST_CASE("an empty secret file is an error") {
  TempDir dir;
  write_secret(dir / "token", "\n", 0600);
  const auto outcome = load_in(dir,
                               "kafka: {brokers: k:9092}\n"
                               "adapters:\n"
                               "  - {name: ingest, type: http, token_file: token}\n");
  CHECK_FALSE(outcome.ok());
  CHECK(messages(outcome) == Lines{(dir / "sensorgate.yaml").string() +
                                   ":3:44: error: adapters[0].token_file: secret file " +
                                   (dir / "token").string() + " is empty"});
}

TEST_CASE("a secret written inline under kafka.properties is refused, pointing to kafka.secrets") {
  for (const std::string key : {"sasl.password", "ssl.key.password",
                                "sasl.oauthbearer.client.secret", "ssl.keystore.password"}) {
    const auto outcome = sensorgate::config::testing::load(
        "kafka: {brokers: 'k:9092', properties: {" + key + ": hunter2}}\n");
    CHECK(messages(outcome) ==
          Lines{"sensorgate.yaml:1:41: error: kafka.properties." + key +
                ": is a secret and may not be written in the config; put it in a file (mode 600) "
                "and name the file under kafka.secrets: {" +
                key + ": /etc/sensorgate/" + key + "}"});
  }
}

TEST_CASE("a property set both inline and as a secret is an error naming both") {
  TempDir dir;
  write_secret(dir / "p", "x", 0600);
  const auto outcome = load_in(dir,
                               "kafka:\n"
                               "  brokers: k:9092\n"
                               "  secrets: {sasl.username: p}\n"
                               "  properties: {sasl.username: inline}\n");
  CHECK(messages(outcome) ==
        Lines{(dir / "sensorgate.yaml").string() +
              ":4:16: error: kafka.properties.sasl.username: also set in kafka.secrets; keep it "
              "in one place"});
}

TEST_CASE("the mqtt password and the http token are read from their files") {
  TempDir dir;
  write_secret(dir / "mqtt.password", "pw\r\n", 0600);
  write_secret(dir / "ingest.token", "tok", 0600);
  const auto outcome = load_in(dir,
                               "kafka: {brokers: k:9092}\n"
                               "adapters:\n"
                               "  - name: plant\n"
                               "    type: mqtt\n"
                               "    username: gw\n"
                               "    password_file: mqtt.password\n"
                               "    subscriptions: [{filter: a/+}]\n"
                               "  - {name: ingest, type: http, token_file: ingest.token}\n");
  REQUIRE(outcome.ok());
  const auto& mqtt =
      sensorgate::config::settings_of<sensorgate::mqtt::MqttSettings>(outcome.config->adapters[0]);
  CHECK(mqtt.username == "gw");
  CHECK(mqtt.password_file == dir / "mqtt.password");
  CHECK(mqtt.password == "pw");
  const auto& http =
      sensorgate::config::settings_of<sensorgate::http::HttpSettings>(outcome.config->adapters[1]);
  CHECK(http.token_file == dir / "ingest.token");
  CHECK(http.token == "tok");
}

TEST_CASE("a TLS file that does not exist is an error at load time") {
  TempDir dir;
  const auto outcome = load_in(dir,
                               "kafka: {brokers: k:9092}\n"
                               "adapters:\n"
                               "  - name: plant\n"
                               "    type: mqtt\n"
                               "    url: ssl://broker:8883\n"
                               "    ca_file: ca.pem\n"
                               "    subscriptions: [{filter: a/+}]\n");
  CHECK(messages(outcome) == Lines{(dir / "sensorgate.yaml").string() +
                                   ":6:14: error: adapters[0].ca_file: cannot read " +
                                   (dir / "ca.pem").string() + ": No such file or directory"});
}

TEST_CASE("relative data_dir and buffer path resolve against the config's directory") {
  TempDir dir;
  const auto outcome = load_in(dir,
                               "gateway: {data_dir: data}\n"
                               "kafka: {brokers: k:9092}\n");
  REQUIRE(outcome.ok());
  CHECK(outcome.config->gateway.data_dir == dir / "data");
  CHECK(outcome.config->buffer.path == dir / "data" / "buffer.db");
  CHECK(outcome.config->source == dir / "sensorgate.yaml");
}

TEST_CASE("the status endpoint's token_file is read, so it may listen on any address") {
  TempDir dir;
  write_secret(dir / "status.token", "t0ken\n", 0600);
  const auto outcome = load_in(dir,
                               "kafka: {brokers: k:9092}\n"
                               "http: {listen: '0.0.0.0:9464', token_file: status.token}\n");
  REQUIRE(outcome.ok());
  CHECK(outcome.config->http.token_file == dir / "status.token");
  CHECK(outcome.config->http.token == "t0ken");
}
