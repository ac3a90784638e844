// `sensorgate check` refuses exactly what `sensorgate run` refuses: each bad config below makes
// both exit 2 with the same first line (the first diagnostic, file:line:column and key path).
// The cases come from 400 mutated configs where check said OK and run then refused.
#include <catch2/catch.hpp>

#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

const std::string kBinary = std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate";

struct Outcome {
  int exit_code;
  std::string first_line;
};

Outcome run_command(const TempDir& dir, const std::string& command,
                    const std::filesystem::path& config) {
  SubprocessOptions options;
  options.stderr_file = dir / (command + ".stderr");
  Subprocess process({kBinary, command, "--config", config.string()}, options);
  const auto status = process.wait(std::chrono::seconds(30));
  REQUIRE(status);
  const std::string err = read_file(dir / (command + ".stderr"));
  return {exit_code_of(*status), err.substr(0, err.find('\n'))};
}

struct BadConfig {
  std::string name;
  std::string yaml;      // after the gateway section
  std::string expected;  // the first line both print, after "<file>:"
};

// A config that works but for the case's change; the gateway section is the test's own.
std::string mqtt_adapter(const std::string& extra) {
  return "adapters:\n"
         "  - name: plant\n"
         "    type: mqtt\n"
         "    url: tcp://127.0.0.1:1\n" +
         extra +
         "    subscriptions:\n"
         "      - {filter: plant/+/+, device: \"{1}\"}\n";
}

std::string subscription(const std::string& device) {
  return "adapters:\n"
         "  - name: plant\n"
         "    type: mqtt\n"
         "    url: tcp://127.0.0.1:1\n"
         "    subscriptions:\n"
         "      - {filter: plant/+/+, device: \"" +
         device + "\"}\n";
}

const std::string kKafka = "kafka: {brokers: '127.0.0.1:1'}\n";

std::vector<BadConfig> bad_configs() {
  return {
      {"idempotence off",
       "kafka: {brokers: '127.0.0.1:1', properties: {enable.idempotence: 'false'}}\n",
       "4:46: error: kafka.properties.enable.idempotence: sensorgate always uses "
       "enable.idempotence=true (no duplicates from producer retries); remove the key"},
      {"negative linger", "kafka: {brokers: '127.0.0.1:1', properties: {linger.ms: '-5'}}\n",
       "4:46: error: kafka.properties.linger.ms: Configuration property "
       "\"queue.buffering.max.ms\" value -5 is outside allowed range 0..900000"},
      {"empty property name", "kafka: {brokers: '127.0.0.1:1', properties: {'': x}}\n",
       "4:46: error: kafka.properties.: No such configuration property: \"\""},
      {"integer compression",
       "kafka: {brokers: '127.0.0.1:1', properties: {compression.type: !!int 5}}\n",
       "4:46: error: kafka.properties.compression.type: Invalid value \"5\" for configuration "
       "property \"compression.codec\""},
      {"in flight above idempotence's limit",
       "kafka: {brokers: '127.0.0.1:1', properties: {max.in.flight.requests.per.connection: "
       "'100'}}\n",
       "4:33: error: kafka.properties: librdkafka refuses this producer configuration: "
       "`max.in.flight` must be set <= 5 when `enable.idempotence` is true"},
      {"inline secret", "kafka: {brokers: '127.0.0.1:1', properties: {sasl.password: hunter2}}\n",
       "4:46: error: kafka.properties.sasl.password: is a secret and may not be written in the "
       "config; put it in a file (mode 600) and name the file under kafka.secrets: "
       "{sasl.password: /etc/sensorgate/sasl.password}"},
      {"broker without host", "kafka: {brokers: ':9092'}\n",
       "4:18: error: kafka.brokers: expected brokers as host:port,host:port (no spaces), got "
       "\":9092\""},
      {"broker with a space", "kafka: {brokers: 'kafka-1:9092, kafka-2:9092'}\n",
       "4:18: error: kafka.brokers: expected brokers as host:port,host:port (no spaces), got "
       "\"kafka-1:9092, kafka-2:9092\""},
      {"impossible listen address", kKafka + "http: {listen: '300.1.1.1:80'}\n",
       "5:16: error: http.listen: expected host:port such as 127.0.0.1:9464, got "
       "\"300.1.1.1:80\""},
      {"negative capture", kKafka + subscription("{-1}"),
       "10:37: error: adapters[0].subscriptions[0].device: \"{-1}\": at offset 0, \"{-1}\" is no "
       "capture; captures are {1} to {32768}"},
      {"open brace", kKafka + subscription("{"),
       "10:37: error: adapters[0].subscriptions[0].device: \"{\": at offset 0, \"{\" is not "
       "closed; captures are written {1}, {2}, ..."},
      {"huge capture", kKafka + subscription("{99999999999999999999}"),
       "10:37: error: adapters[0].subscriptions[0].device: \"{99999999999999999999}\": at offset "
       "0, \"{99999999999999999999}\" is no capture; captures are {1} to {32768}"},
      {"capture beyond the filter", kKafka + subscription("{1000}"),
       "10:37: error: adapters[0].subscriptions[0].device: \"{1000}\" uses {1000} but filter "
       "\"plant/+/+\" has 2 wildcards; set device to a template over {1}..{2} or a name"},
      {"unknown adapter type", kKafka + "adapters: [{name: plc, type: modbus_rtu}]\n",
       "5:30: error: adapters[0].type: expected mqtt, modbus_tcp, http or udp, got "
       "\"modbus_rtu\""},
      {"reserved Modbus unit id",
       kKafka + "adapters: [{name: plc, type: modbus_tcp, unit_id: 250, registers: "
                "[{address: 1, device: b, metric: p}]}]\n",
       "5:51: error: adapters[0].unit_id: expected 0 to 247, or 255, got 250 (248 to 254 are "
       "reserved by Modbus)"},
      {"unreadable TLS file", kKafka + mqtt_adapter("    ca_file: /nonexistent/ca.pem\n"),
       "9:14: error: adapters[0].ca_file: is set but url tcp://127.0.0.1:1 is not ssl://; use "
       "ssl://host:8883 or remove it"},
      {"TLS file missing",
       kKafka + "adapters:\n  - name: plant\n    type: mqtt\n"
                "    url: ssl://127.0.0.1:1\n    ca_file: /nonexistent/ca.pem\n"
                "    subscriptions: [{filter: a/+}]\n",
       "9:14: error: adapters[0].ca_file: cannot read /nonexistent/ca.pem: No such file or "
       "directory"},
      {"second document", kKafka + "---\nkafka: {brokers: 'other:9092'}\n",
       "6:1: error: the file holds 2 YAML documents; sensorgate reads one: remove the second "
       "(from the --- on line 5)"},
      {"CR-only line endings", "kafka: {brokers: '127.0.0.1:1'}\rbuffer:\r  max_bytes: lots\r",
       "6:14: error: buffer.max_bytes: expected a size such as 512KiB, 256MiB, 1GiB, got \"lots\""},
  };
}

TEST_CASE("check and run refuse the same bad configs with the same first line and exit 2") {
  TempDir dir;
  for (const BadConfig& bad : bad_configs()) {
    SECTION(bad.name) {
      const auto config = dir / "sensorgate.yaml";
      write_file(config, "gateway: {id: edge-test, data_dir: " + (dir / "state").string() +
                             "}\n\n\n" + bad.yaml);
      const Outcome check = run_command(dir, "check", config);
      const Outcome run = run_command(dir, "run", config);
      CHECK(check.exit_code == 2);
      CHECK(run.exit_code == 2);
      CHECK(check.first_line == config.string() + ":" + bad.expected);
      CHECK(run.first_line == check.first_line);
      CHECK_FALSE(std::filesystem::exists(dir / "state" / "buffer.db"));
    }
  }
}

TEST_CASE("check and run refuse a gateway id that is not UTF-8, which MQTT and JSON need") {
  TempDir dir;
  const auto config = dir / "sensorgate.yaml";
  write_file(config, "gateway: {id: \"edge-\xff\xfe\", data_dir: " + (dir / "state").string() +
                         "}\n" + kKafka);
  const Outcome check = run_command(dir, "check", config);
  const Outcome run = run_command(dir, "run", config);
  CHECK(check.exit_code == 2);
  CHECK(run.exit_code == 2);
  CHECK(check.first_line == config.string() +
                                ":1:15: error: gateway.id: expected UTF-8 text of 1 to 200 bytes "
                                "without control characters, got \"edge-\\xff\\xfe\"");
  CHECK(run.first_line == check.first_line);
}

}  // namespace
}  // namespace sensorgate::testing
