// The generated reference matches docs/configuration.md, the demo config loads, and the
// `check` summary shows effective values.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/config/config_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sensorgate::config;
using sensorgate::config::testing::load;
using sensorgate::config::testing::load_file;
using sensorgate::config::testing::messages;

TEST_CASE("docs/configuration.md is the reference generated from the key tables") {
  // A path, not std::string + "...": GCC 12 warns falsely (-Warray-bounds) on the inlined
  // concatenation for some lengths of the checkout's path.
  const std::string docs = sensorgate::testing::read_file(
      std::filesystem::path(SENSORGATE_SOURCE_DIR) / "docs" / "configuration.md");
  // On failure, regenerate: config_reference > docs/configuration.md
  CHECK(docs == render_reference_markdown(sensorgate::adapters::adapter_syntaxes()));
}

TEST_CASE("the reference documents every key with its default") {
  const std::string reference = render_reference_markdown(sensorgate::adapters::adapter_syntaxes());
  CHECK_THAT(reference, Catch::Contains("| `commit_interval` | duration | `10ms` |"));
  CHECK_THAT(reference, Catch::Contains("| `brokers` | text | **required** |"));
  CHECK_THAT(reference, Catch::Contains("| `id` | text | the host name |"));
  CHECK_THAT(reference, Catch::Contains("| `qos` | integer | the adapter's qos | 0 to 2 |"));
  CHECK_THAT(reference,
             Catch::Contains("| `on_full` | choice | `drop_oldest` | drop_oldest or reject |"));
}

TEST_CASE("the demo config loads without a diagnostic") {
  const auto outcome =
      load_file(std::filesystem::path(SENSORGATE_SOURCE_DIR) / "config" / "examples" / "demo.yaml");
  CHECK(messages(outcome).empty());
  REQUIRE(outcome.ok());
  CHECK(outcome.config->gateway.id == "demo-gateway");
  REQUIRE(outcome.config->adapters.size() == 3);
  CHECK(outcome.config->adapters[2].type == "modbus_tcp");
  const auto& mqtt =
      sensorgate::config::settings_of<sensorgate::mqtt::MqttSettings>(outcome.config->adapters[0]);
  CHECK(mqtt.subscriptions.at(0).metrics.size() == 2);
  REQUIRE(outcome.config->adapters[1].type == "http");
  CHECK(sensorgate::config::settings_of<sensorgate::http::HttpSettings>(outcome.config->adapters[1])
            .listen == "127.0.0.1:8080");
  CHECK(outcome.config->kafka.properties ==
        std::vector<std::pair<std::string, std::string>>{{"linger.ms", "5"}});
}

TEST_CASE("the summary shows effective values with defaults, one line per section or part") {
  const auto outcome = load(
      "gateway: {id: edge-01}\n"
      "kafka: {brokers: k:9092, properties: {linger.ms: 5}}\n"
      "adapters:\n"
      "  - {name: plant, type: mqtt, subscriptions: [{filter: 'plant/+/+', device: '{2}'}]}\n"
      "  - {name: plc, type: modbus_tcp, registers: [{address: 7, device: b, metric: p}]}\n"
      "rules:\n"
      "  - {name: hot, match: {metric: temp}, when: value > 30, for: 10s}\n"
      "http: {listen: '127.0.0.1:9464'}\n");
  REQUIRE(outcome.ok());
  CHECK(render_summary(*outcome.config) ==
        "config sensorgate.yaml\n"
        "gateway     id=edge-01 data_dir=/var/lib/sensorgate log_level=info\n"
        "buffer      max_bytes=1GiB on_full=drop_oldest durability=process commit_interval=10ms\n"
        "            commit_max_rows=5000 path=/var/lib/sensorgate/buffer.db\n"
        "kafka       brokers=k:9092 topic=sensors.readings alerts_topic=sensors.alerts "
        "properties=linger.ms=5\n"
        "            max_in_flight=20000 flush_timeout=10s unreachable_alert_after=2m "
        "delivery=at_least_once\n"
        "            transaction_rows=10000 transaction_interval=200ms "
        "progress_topic=_sensorgate.progress\n"
        "adapters    2\n"
        "  plant     (mqtt) url=tcp://127.0.0.1:1883 client_id=edge-01-plant qos=1 "
        "ack=after_commit\n"
        "            mqtt_version=3.1.1 keepalive=30s reconnect_min=1s reconnect_max=30s\n"
        "            subscriptions=plant/+/+ (qos 1, json, device {2})\n"
        "  plc       (modbus_tcp) host=127.0.0.1 port=502 unit_id=1 poll=1s timeout=1s max_gap=8\n"
        "            on_change=false deadband=0 max_interval=1m registers=holding:7 uint16 -> b/p\n"
        "rules       1\n"
        "  hot       when value > 30 match=device *, metric temp for=10s severity=warning\n"
        "http        listen=127.0.0.1:9464\n");
}

TEST_CASE("the summary names secret files but never shows their content") {
  sensorgate::testing::TempDir dir;
  sensorgate::testing::write_file(dir / "kafka.password", "hunter2");
  REQUIRE(::chmod((dir / "kafka.password").c_str(), 0600) == 0);
  sensorgate::testing::write_file(dir / "sensorgate.yaml",
                                  "kafka:\n"
                                  "  brokers: k:9092\n"
                                  "  secrets: {sasl.password: kafka.password}\n");
  const auto outcome = load_file(dir / "sensorgate.yaml");
  REQUIRE(outcome.ok());
  const std::string summary = render_summary(*outcome.config);
  CHECK_THAT(summary,
             Catch::Contains("secrets=sasl.password from " + (dir / "kafka.password").string()));
  CHECK_THAT(summary, !Catch::Contains("hunter2"));
}
