// Every key left out takes its documented default.
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>

#include "tests/config/config_test_util.hpp"

using namespace sensorgate::config;
using namespace std::chrono_literals;
using sensorgate::Bytes;
using sensorgate::config::testing::kMinimal;
using sensorgate::config::testing::load;
using sensorgate::operator""_GiB;
using sensorgate::operator""_MiB;

namespace {

Config load_ok(std::string_view yaml) {
  const LoadOutcome outcome = load(yaml);
  INFO(yaml);
  for (const Diagnostic& d : outcome.diagnostics) UNSCOPED_INFO(d.to_string());
  REQUIRE(outcome.ok());
  REQUIRE(outcome.diagnostics.empty());
  return *outcome.config;
}

std::string host_name() {
  std::array<char, 256> buffer{};
  REQUIRE(::gethostname(buffer.data(), buffer.size() - 1) == 0);
  return buffer.data();
}

}  // namespace

TEST_CASE("gateway keys default to the host name, /var/lib/sensorgate and info") {
  const Config config = load_ok(kMinimal);
  CHECK(config.gateway.id == host_name());
  CHECK(config.gateway.data_dir == "/var/lib/sensorgate");
  CHECK(config.gateway.log_level == "info");
  CHECK(config.source == "sensorgate.yaml");
}

TEST_CASE("buffer keys default to 1GiB, drop_oldest, process, 10ms, 5000 rows, data_dir") {
  const Config config = load_ok(kMinimal);
  CHECK(config.buffer.max_bytes == 1_GiB);
  CHECK(config.buffer.on_full == OnFull::kDropOldest);
  CHECK(config.buffer.durability == Durability::kProcess);
  CHECK(config.buffer.commit_interval == 10ms);
  CHECK(config.buffer.commit_max_rows == 5000);
  CHECK(config.buffer.path == "/var/lib/sensorgate/buffer.db");
}

TEST_CASE("buffer.path follows gateway.data_dir unless set") {
  CHECK(load_ok("gateway: {data_dir: /srv/sg}\nkafka: {brokers: k:9092}\n").buffer.path ==
        "/srv/sg/buffer.db");
  CHECK(load_ok("gateway: {data_dir: /srv/sg}\nbuffer: {path: /fast/b.db}\n"
                "kafka: {brokers: k:9092}\n")
            .buffer.path == "/fast/b.db");
}

TEST_CASE("kafka keys default to the sensors topics, no properties and the documented bounds") {
  const Config config = load_ok(kMinimal);
  CHECK(config.kafka.brokers == "kafka-1:9092");
  CHECK(config.kafka.topic == "sensors.readings");
  CHECK(config.kafka.alerts_topic == "sensors.alerts");
  CHECK(config.kafka.properties.empty());
  CHECK(config.kafka.secrets.empty());
  CHECK(config.kafka.secret_values.empty());
  CHECK(config.kafka.max_in_flight == 20000);
  CHECK(config.kafka.flush_timeout == 10s);
  CHECK(config.kafka.unreachable_alert_after == 2min);
}

TEST_CASE("without adapters or rules there are none, and the status endpoint is on loopback") {
  const Config config = load_ok(kMinimal);
  CHECK(config.adapters.empty());
  CHECK(config.rules.empty());
  CHECK(config.http.listen == "127.0.0.1:9464");
  CHECK(config.http.token_file.empty());
}

TEST_CASE("an mqtt adapter defaults to a local broker, qos 1, MQTT 3.1.1 and its client id") {
  const Config config = load_ok(
      "gateway: {id: edge-01}\n"
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - {name: plant, type: mqtt, subscriptions: [{filter: a/+/+}]}\n");
  REQUIRE(config.adapters.size() == 1);
  const AdapterConfig& adapter = config.adapters[0];
  CHECK(adapter.name == "plant");
  CHECK(adapter.type == "mqtt");
  CHECK(adapter.mark.line == 4);
  CHECK(adapter.mark.column == 5);
  const auto& mqtt = sensorgate::config::settings_of<sensorgate::mqtt::MqttSettings>(adapter);
  CHECK(mqtt.url == "tcp://127.0.0.1:1883");
  CHECK(sensorgate::mqtt::effective_client_id(mqtt, adapter, config) == "edge-01-plant");
  CHECK(mqtt.qos == 1);
  CHECK(mqtt.mqtt_version == 4);
  CHECK(mqtt.username.empty());
  CHECK(mqtt.password_file.empty());
  CHECK(mqtt.password.empty());
  CHECK(mqtt.ca_file.empty());
  CHECK(mqtt.cert_file.empty());
  CHECK(mqtt.key_file.empty());
  CHECK(mqtt.keepalive == 30s);
  CHECK(mqtt.reconnect_min == 1s);
  CHECK(mqtt.reconnect_max == 30s);
  REQUIRE(mqtt.subscriptions.size() == 1);
  const sensorgate::mqtt::Subscription& sub = mqtt.subscriptions[0];
  CHECK(sub.filter == "a/+/+");
  CHECK(sub.qos == 1);
  CHECK(sub.device == "{1}");
  CHECK(sub.payload == sensorgate::mqtt::PayloadFormat::kJson);
  CHECK(sub.metrics.empty());
  CHECK(sub.metric == "{2}");
  CHECK(sub.unit.empty());
  CHECK(sub.readings_field.empty());
  CHECK(sub.timestamp.field.empty());
  CHECK(sub.timestamp.unit == sensorgate::formats::TimestampUnit::kAuto);
  CHECK(sub.topic.empty());
  CHECK(sub.tags.empty());
}

TEST_CASE("a subscription's qos defaults to its adapter's, wherever the adapter sets it") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - name: plant\n"
      "    type: mqtt\n"
      "    subscriptions: [{filter: a/+}, {filter: b/+, qos: 2}]\n"
      "    qos: 0\n"
      "    mqtt_version: 5\n");
  const auto& mqtt =
      sensorgate::config::settings_of<sensorgate::mqtt::MqttSettings>(config.adapters[0]);
  CHECK(mqtt.qos == 0);
  CHECK(mqtt.mqtt_version == 5);
  CHECK(mqtt.subscriptions[0].qos == 0);
  CHECK(mqtt.subscriptions[1].qos == 2);
}

TEST_CASE("subscription metrics take the long form, the shorthand field, tags and timestamps") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - name: plant\n"
      "    type: mqtt\n"
      "    client_id: fixed\n"
      "    subscriptions:\n"
      "      - filter: plant/+/+/telemetry\n"
      "        device: '{1}-{2}'\n"
      "        metrics: {temp: {field: t, unit: C}, hum: h}\n"
      "        readings_field: data.readings\n"
      "        timestamp: {field: ts, unit: rfc3339}\n"
      "        tags: {site: '{1}', line: a}\n"
      "        topic: sensors.climate\n");
  const auto& mqtt =
      sensorgate::config::settings_of<sensorgate::mqtt::MqttSettings>(config.adapters[0]);
  CHECK(mqtt.client_id == "fixed");
  const sensorgate::mqtt::Subscription& sub = mqtt.subscriptions[0];
  CHECK(sub.device == "{1}-{2}");
  REQUIRE(sub.metrics.size() == 2);
  CHECK(sub.metrics[0].name == "temp");
  CHECK(sub.metrics[0].field == "t");
  CHECK(sub.metrics[0].unit == "C");
  CHECK(sub.metrics[1].name == "hum");
  CHECK(sub.metrics[1].field == "h");
  CHECK(sub.metrics[1].unit.empty());
  CHECK(sub.readings_field == "data.readings");
  CHECK(sub.timestamp.field == "ts");
  CHECK(sub.timestamp.unit == sensorgate::formats::TimestampUnit::kRfc3339);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(sub.tags == Pairs{{"site", "{1}"}, {"line", "a"}});
  CHECK(sub.topic == "sensors.climate");
  CHECK(sub.mark.line == 7);
}

TEST_CASE("a modbus adapter defaults to a local device on 502, unit 1, polled every second") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - name: plc\n"
      "    type: modbus_tcp\n"
      "    registers: [{address: 100, device: boiler-1, metric: p}]\n");
  const auto& modbus =
      sensorgate::config::settings_of<sensorgate::modbus::ModbusSettings>(config.adapters[0]);
  CHECK(modbus.host == "127.0.0.1");
  CHECK(modbus.port == 502);
  CHECK(modbus.unit_id == 1);
  CHECK(modbus.poll == 1s);
  CHECK(modbus.timeout == 1s);
  CHECK(modbus.max_gap == 8);
  CHECK_FALSE(modbus.on_change.enabled);
  CHECK(modbus.on_change.deadband == 0);
  CHECK(modbus.on_change.max_interval == 1min);
  REQUIRE(modbus.registers.size() == 1);
  const sensorgate::modbus::Register& reg = modbus.registers[0];
  CHECK(reg.address == 100);
  CHECK(reg.kind == sensorgate::modbus::RegisterKind::kHolding);
  CHECK(reg.type == sensorgate::modbus::RegisterType::kUint16);
  CHECK(reg.order == "abcd");
  CHECK(reg.device == "boiler-1");
  CHECK(reg.metric == "p");
  CHECK(reg.unit.empty());
  CHECK(reg.scale == 1.0);
  CHECK(reg.offset == 0.0);
  CHECK(reg.topic.empty());
  CHECK(reg.bit == -1);
  CHECK_FALSE(reg.on_change.has_value());
  CHECK_FALSE(reg.deadband.has_value());
  CHECK_FALSE(reg.max_interval.has_value());
}

TEST_CASE("modbus register keys load as written") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - {name: plc, type: modbus_tcp, host: 10.0.0.5, port: 5020, unit_id: 7, poll: 250ms,\n"
      "     timeout: 2s, max_gap: 3, on_change: true, deadband: 0.2, max_interval: 30s,\n"
      "     registers: [{address: 3, kind: input, type: float32, order: cdab,\n"
      "     device: b, metric: m, unit: bar, scale: 0.1, offset: -4, topic: t,\n"
      "     on_change: false, deadband: 1, max_interval: 5s},\n"
      "     {address: 9, kind: coil, type: bool, device: b, metric: on},\n"
      "     {address: 7, type: bool, bit: 12, device: b, metric: alarm},\n"
      "     {address: 20, type: float64, order: dcba, device: b, metric: energy}]}\n");
  const auto& modbus =
      sensorgate::config::settings_of<sensorgate::modbus::ModbusSettings>(config.adapters[0]);
  CHECK(modbus.host == "10.0.0.5");
  CHECK(modbus.port == 5020);
  CHECK(modbus.unit_id == 7);
  CHECK(modbus.poll == 250ms);
  CHECK(modbus.timeout == 2s);
  const sensorgate::modbus::Register& reg = modbus.registers[0];
  CHECK(reg.kind == sensorgate::modbus::RegisterKind::kInput);
  CHECK(reg.type == sensorgate::modbus::RegisterType::kFloat32);
  CHECK(reg.order == "cdab");
  CHECK(reg.unit == "bar");
  CHECK(reg.scale == 0.1);
  CHECK(reg.offset == -4);
  CHECK(reg.topic == "t");
  CHECK(modbus.registers[1].kind == sensorgate::modbus::RegisterKind::kCoil);
  CHECK(modbus.registers[1].type == sensorgate::modbus::RegisterType::kBool);
  CHECK(modbus.max_gap == 3);
  CHECK(modbus.on_change.enabled);
  CHECK(modbus.on_change.deadband == 0.2);
  CHECK(modbus.on_change.max_interval == 30s);
  CHECK(reg.on_change == false);
  CHECK(reg.deadband == 1.0);
  CHECK(reg.max_interval == std::chrono::nanoseconds(5s));
  CHECK(modbus.registers[2].bit == 12);
  CHECK(modbus.registers[3].type == sensorgate::modbus::RegisterType::kFloat64);
  CHECK(modbus.registers[3].order == "dcba");
}

TEST_CASE("an http adapter defaults to 127.0.0.1:8080, no token, 4MiB bodies, 4 workers") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters: [{name: ingest, type: http}]\n");
  const auto& http =
      sensorgate::config::settings_of<sensorgate::http::HttpSettings>(config.adapters[0]);
  CHECK(http.listen == "127.0.0.1:8080");
  CHECK(http.token_file.empty());
  CHECK(http.token.empty());
  CHECK(http.max_body == 4_MiB);
  CHECK(http.topic.empty());
  CHECK(http.workers == 4);
  CHECK(http.max_connections == 64);
  CHECK(http.read_timeout == std::chrono::seconds(5));
}

TEST_CASE("a udp adapter defaults to 127.0.0.1:8094, influx line protocol in ns, 4MiB buffer") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters: [{name: lines, type: udp}]\n");
  const auto& udp =
      sensorgate::config::settings_of<sensorgate::udp::UdpSettings>(config.adapters[0]);
  CHECK(udp.listen == "127.0.0.1:8094");
  CHECK(udp.format == sensorgate::udp::LineFormat::kInfluxLine);
  CHECK(udp.topic.empty());
  CHECK(udp.precision == sensorgate::formats::TimestampUnit::kNanoseconds);
  CHECK(udp.receive_buffer == 4_MiB);
}

TEST_CASE("explicit http and udp keys replace their defaults") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - {name: ingest, type: http, listen: '127.0.0.1:9000', max_body: 1MiB, workers: 2,\n"
      "     max_connections: 8, read_timeout: 2s, topic: t}\n"
      "  - {name: lines, type: udp, listen: '[::1]:9001', precision: ms, receive_buffer: 8MiB}\n");
  const auto& http =
      sensorgate::config::settings_of<sensorgate::http::HttpSettings>(config.adapters[0]);
  CHECK(http.listen == "127.0.0.1:9000");
  CHECK(http.max_body == 1_MiB);
  CHECK(http.workers == 2);
  CHECK(http.max_connections == 8);
  CHECK(http.read_timeout == std::chrono::seconds(2));
  CHECK(http.topic == "t");
  const auto& udp =
      sensorgate::config::settings_of<sensorgate::udp::UdpSettings>(config.adapters[1]);
  CHECK(udp.listen == "[::1]:9001");
  CHECK(udp.precision == sensorgate::formats::TimestampUnit::kMilliseconds);
  CHECK(udp.receive_buffer == 8_MiB);
}

TEST_CASE("a rule defaults to match everything, warning severity, no hysteresis, no mqtt") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "rules:\n"
      "  - {name: hot, when: value > 30}\n"
      "  - {name: rising, rate_above: {delta: 5}}\n"
      "  - {name: warm, avg_above: {value: 25}}\n");
  REQUIRE(config.rules.size() == 3);
  const RuleConfig& rule = config.rules[0];
  CHECK(rule.name == "hot");
  CHECK(rule.match_device == "*");
  CHECK(rule.match_metric == "*");
  CHECK(rule.kind == RuleKind::kThreshold);
  CHECK_FALSE(rule.clear.has_value());
  CHECK(rule.hold_for == 0s);
  CHECK(rule.severity == "warning");
  CHECK(rule.mqtt.empty());
  CHECK(rule.message.empty());
  CHECK(config.rules[1].rate.per == 1min);
  CHECK(config.rules[2].window.window == 5min);
}

TEST_CASE("a rule's match may name only one of device and metric") {
  const Config config = load_ok(
      "kafka: {brokers: k:9092}\n"
      "rules: [{name: a, match: {metric: temp}, absent_for: 1m}]\n");
  CHECK(config.rules[0].match_device == "*");
  CHECK(config.rules[0].match_metric == "temp");
}

TEST_CASE("explicit values replace every default of gateway, buffer, kafka and http") {
  const Config config = load_ok(
      "gateway: {id: edge-9, data_dir: /d, log_level: debug}\n"
      "buffer: {max_bytes: 256MiB, on_full: reject, durability: power,\n"
      "         commit_interval: 50ms, commit_max_rows: 100}\n"
      "kafka: {brokers: 'a:1,b:2', topic: r, alerts_topic: al,\n"
      "        max_in_flight: 10, flush_timeout: 3s,\n"
      "        unreachable_alert_after: 30s}\n"
      "http: {listen: '[::1]:9470'}\n");
  CHECK(config.gateway.id == "edge-9");
  CHECK(config.gateway.log_level == "debug");
  CHECK(config.buffer.max_bytes == 256_MiB);
  CHECK(config.buffer.on_full == OnFull::kReject);
  CHECK(config.buffer.durability == Durability::kPower);
  CHECK(config.buffer.commit_interval == 50ms);
  CHECK(config.buffer.commit_max_rows == 100);
  CHECK(config.buffer.path == "/d/buffer.db");
  CHECK(config.kafka.brokers == "a:1,b:2");
  CHECK(config.kafka.topic == "r");
  CHECK(config.kafka.alerts_topic == "al");
  CHECK(config.kafka.max_in_flight == 10);
  CHECK(config.kafka.flush_timeout == 3s);
  CHECK(config.kafka.unreachable_alert_after == 30s);
  CHECK(config.http.listen == "[::1]:9470");
}
