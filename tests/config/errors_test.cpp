// Each class of config error, asserting the exact line `sensorgate check` prints.
#include <catch2/catch.hpp>

#include "tests/config/config_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using sensorgate::config::testing::errors_of;
using sensorgate::config::testing::load;
using sensorgate::config::testing::load_file;
using sensorgate::config::testing::messages;
using Lines = std::vector<std::string>;

TEST_CASE("an unknown key is rejected with a did-you-mean and the allowed keys") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer:\n"
                  "  comit_interval: 10ms\n") ==
        Lines{"sensorgate.yaml:3:3: error: buffer.comit_interval: unknown key; did you mean "
              "\"commit_interval\"? Allowed keys: max_bytes, on_full, durability, "
              "commit_interval, commit_max_rows, path"});
}

TEST_CASE("an unknown key far from every allowed key lists the allowed keys only") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "gateway: {hostname: edge}\n") ==
        Lines{"sensorgate.yaml:2:11: error: gateway.hostname: unknown key; allowed keys: id, "
              "data_dir, log_level"});
}

TEST_CASE("an unknown top-level section is rejected") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapter: []\n") ==
        Lines{"sensorgate.yaml:2:1: error: adapter: unknown key; did you mean \"adapters\"? "
              "Allowed keys: gateway, buffer, kafka, adapters, rules, http"});
}

TEST_CASE("a value of the wrong type names what was expected") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer: [1, 2]\n") ==
        Lines{"sensorgate.yaml:2:9: error: buffer: expected a mapping of keys, got a list"});
  CHECK(errors_of("kafka: {brokers: k:9092, max_in_flight: many}\n") ==
        Lines{"sensorgate.yaml:1:41: error: kafka.max_in_flight: expected an integer from 1 to "
              "10000000, got \"many\""});
  CHECK(errors_of("kafka: {brokers: k:9092, topic: {a: b}}\n") ==
        Lines{"sensorgate.yaml:1:33: error: kafka.topic: expected a non-empty text value, got "
              "a mapping"});
}

TEST_CASE("a number out of range is an error, never clamped") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer: {commit_max_rows: 0}\n") ==
        Lines{"sensorgate.yaml:2:27: error: buffer.commit_max_rows: expected an integer from 1 "
              "to 1000000, got 0"});
}

TEST_CASE("a duration without a unit is rejected with examples") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer:\n"
                  "  commit_interval: 10\n") ==
        Lines{"sensorgate.yaml:3:20: error: buffer.commit_interval: expected a duration such as "
              "500ms, 10s, 2m, got \"10\""});
  CHECK(errors_of("kafka: {brokers: k:9092, flush_timeout: 0s}\n") ==
        Lines{"sensorgate.yaml:1:41: error: kafka.flush_timeout: expected a duration longer "
              "than 0, got \"0s\""});
}

TEST_CASE("a bad size is rejected with examples") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer: {max_bytes: 1 gigabyte}\n") ==
        Lines{"sensorgate.yaml:2:21: error: buffer.max_bytes: expected a size such as 512KiB, "
              "256MiB, 1GiB, got \"1 gigabyte\""});
}

TEST_CASE("a bad enum value lists the choices with a did-you-mean") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "buffer: {on_full: drop-oldest}\n") ==
        Lines{"sensorgate.yaml:2:19: error: buffer.on_full: expected drop_oldest or reject, got "
              "\"drop-oldest\"; did you mean \"drop_oldest\"?"});
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "gateway: {log_level: verbose}\n") ==
        Lines{"sensorgate.yaml:2:22: error: gateway.log_level: expected debug, info, warning or "
              "error, got \"verbose\""});
}

TEST_CASE("a missing required key is reported at its mapping") {
  CHECK(errors_of("kafka:\n"
                  "  topic: readings\n") ==
        Lines{"sensorgate.yaml:2:3: error: kafka.brokers: required key is missing"});
  CHECK(errors_of("gateway: {id: edge-01}\n") ==
        Lines{"sensorgate.yaml:1:1: error: kafka: required key is missing"});
  CHECK(errors_of("") == Lines{"sensorgate.yaml: error: kafka: required key is missing"});
}

TEST_CASE("a duplicate key is an error naming the first occurrence") {
  CHECK(errors_of("kafka:\n"
                  "  brokers: k:9092\n"
                  "  topic: a\n"
                  "  topic: b\n") ==
        Lines{"sensorgate.yaml:4:3: error: kafka.topic: duplicate key; first set on line 3"});
}

TEST_CASE("two adapters with one name are an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: lines, type: udp}\n"
                  "  - {name: lines, type: udp, listen: 127.0.0.1:8095}\n") ==
        Lines{"sensorgate.yaml:4:12: error: adapters[1].name: duplicate adapter name \"lines\"; "
              "first used by adapters[0]"});
}

TEST_CASE("an adapter without a type or with an unknown type is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: a}\n"
                  "  - {name: b, type: mqtt5}\n") ==
        Lines{"sensorgate.yaml:3:5: error: adapters[0].type: required key is missing",
              "sensorgate.yaml:4:21: error: adapters[1].type: expected mqtt, modbus_tcp, http or "
              "udp, got \"mqtt5\"; did you mean \"mqtt\"?"});
}

TEST_CASE("a key of another adapter type is unknown for this type") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: lines, type: udp, url: 'tcp://x:1883'}\n") ==
        Lines{"sensorgate.yaml:3:30: error: adapters[0].url: unknown key; allowed keys: name, "
              "type, listen, format, topic, precision, receive_buffer"});
}

TEST_CASE("a status endpoint reachable from other machines without token_file is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "http: {listen: '0.0.0.0:9464'}\n") ==
        Lines{"sensorgate.yaml:2:16: error: http.listen: 0.0.0.0:9464 is reachable from other "
              "machines, so token_file is required: set it to a file holding the bearer token "
              "clients must send, or listen on 127.0.0.1"});
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "http: {listen: '[::1]:9464'}\n")
            .empty());
}

TEST_CASE("an http adapter reachable from other machines without token_file is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: ingest, type: http, listen: '0.0.0.0:8080'}\n") ==
        Lines{"sensorgate.yaml:3:40: error: adapters[0].listen: 0.0.0.0:8080 is reachable from "
              "other machines, so token_file is required: set it to a file holding the bearer "
              "token clients must send, or listen on 127.0.0.1"});
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: a, type: http, listen: 'localhost:8080'}\n"
                  "  - {name: b, type: http, listen: '127.0.0.2:8080'}\n"
                  "  - {name: c, type: http, listen: '[::1]:8080'}\n")
            .empty());
}

TEST_CASE("an http read_timeout that is not whole seconds is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: ingest, type: http, read_timeout: 1500ms}\n") ==
        Lines{"sensorgate.yaml:3:46: error: adapters[0].read_timeout: expected whole seconds "
              "such as 5s, got 1500ms"});
}

TEST_CASE("a qos outside 0..2 is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - name: plant\n"
                  "    type: mqtt\n"
                  "    subscriptions:\n"
                  "      - filter: a/+\n"
                  "      - filter: b/+\n"
                  "        qos: 3\n") ==
        Lines{"sensorgate.yaml:8:14: error: adapters[0].subscriptions[1].qos: expected 0, 1 or 2, "
              "got 3"});
}

TEST_CASE("an mqtt adapter needs subscriptions with valid filters") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: plant, type: mqtt, subscriptions: []}\n"
                  "  - {name: hall, type: mqtt, subscriptions: [{filter: 'a/b#'}]}\n") ==
        Lines{"sensorgate.yaml:3:46: error: adapters[0].subscriptions: expected at least one "
              "subscription",
              "sensorgate.yaml:4:55: error: adapters[1].subscriptions[0].filter: expected an MQTT "
              "topic filter with + and # as whole levels, # last, got \"a/b#\""});
}

TEST_CASE("a template capture beyond the filter's wildcards is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - name: plant\n"
                  "    type: mqtt\n"
                  "    subscriptions:\n"
                  "      - {filter: plant/+/telemetry, device: '{1}-{2}'}\n") ==
        Lines{"sensorgate.yaml:6:45: error: adapters[0].subscriptions[0].device: \"{1}-{2}\" "
              "uses {2} but filter \"plant/+/telemetry\" has 1 wildcard; set device to a "
              "template over {1}..{1} or a name"});
}

TEST_CASE("mqtt reconnect delays must not be inverted") {
  CHECK(
      errors_of("kafka: {brokers: k:9092}\n"
                "adapters:\n"
                "  - {name: p, type: mqtt, reconnect_min: 1m, subscriptions: [{filter: a/+}]}\n") ==
      Lines{"sensorgate.yaml:3:42: error: adapters[0].reconnect_min: 1m is longer than "
            "reconnect_max (30s)"});
}

TEST_CASE("an mqtt version other than 3.1.1, 4 or 5 is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - {name: p, type: mqtt, mqtt_version: 3, subscriptions: [{filter: a/+}]}\n") ==
        Lines{"sensorgate.yaml:3:41: error: adapters[0].mqtt_version: expected 3.1.1, 4 or 5, got "
              "\"3\""});
}

TEST_CASE("a modbus register of a bit kind must be of type bool") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "adapters:\n"
                  "  - name: plc\n"
                  "    type: modbus_tcp\n"
                  "    registers:\n"
                  "      - {address: 1, kind: coil, type: uint16, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:40: error: adapters[0].registers[0].type: uint16 does not fit "
              "kind coil; coil and discrete need type: bool"});
}

TEST_CASE("a listen address without a port is an error") {
  CHECK(errors_of("kafka: {brokers: k:9092}\n"
                  "http: {listen: localhost}\n") ==
        Lines{"sensorgate.yaml:2:16: error: http.listen: expected host:port such as "
              "127.0.0.1:9464, got \"localhost\""});
}

TEST_CASE("a YAML syntax error is reported at its line and column") {
  CHECK(errors_of("kafka:\n"
                  "  brokers: [k:9092\n"
                  "buffer: {}\n") ==
        Lines{"sensorgate.yaml:3:7: error: invalid YAML: end of sequence flow not found"});
}

// Found by tests/fuzz/config_loader_fuzz (regressions/config_loader/): yaml-cpp's LoadAll looped
// on this, filling memory.
TEST_CASE("a comma outside a flow collection is a YAML error at its place, not a hang") {
  CHECK(errors_of(",k: `:9092") ==
        Lines{"sensorgate.yaml:1:1: error: invalid YAML: unexpected ',' outside a flow "
              "collection ([...] or {...})"});
  CHECK(errors_of("\n\n  , kafka: {brokers: k:9092}\n") ==
        Lines{"sensorgate.yaml:3:3: error: invalid YAML: unexpected ',' outside a flow "
              "collection ([...] or {...})"});
}

TEST_CASE("every error in a file is reported at once, in file order, and no config results") {
  const auto outcome = load(
      "gateway: {log_level: loud}\n"
      "buffer:\n"
      "  max_bytes: lots\n"
      "  commit_interval: 10\n"
      "kafka: {topic: t}\n"
      "rules:\n"
      "  - {name: hot, when: value => 8}\n");
  CHECK_FALSE(outcome.ok());
  CHECK(messages(outcome) ==
        Lines{"sensorgate.yaml:1:22: error: gateway.log_level: expected debug, info, warning or "
              "error, got \"loud\"",
              "sensorgate.yaml:3:14: error: buffer.max_bytes: expected a size such as 512KiB, "
              "256MiB, 1GiB, got \"lots\"",
              "sensorgate.yaml:4:20: error: buffer.commit_interval: expected a duration such as "
              "500ms, 10s, 2m, got \"10\"",
              "sensorgate.yaml:5:8: error: kafka.brokers: required key is missing",
              "sensorgate.yaml:7:23: error: rules[0].when: expected \"value <op> <number>\" with "
              "op one of > >= < <= == !=, got \"value => 8\""});
}

TEST_CASE("a config file that cannot be read is one whole-file error") {
  const auto outcome = load_file("/nonexistent/sensorgate.yaml");
  CHECK_FALSE(outcome.ok());
  CHECK(messages(outcome) ==
        Lines{"/nonexistent/sensorgate.yaml: error: cannot read config file: No such file or "
              "directory"});
}

TEST_CASE("a directory given as the config file is one whole-file error") {
  sensorgate::testing::TempDir dir;
  CHECK(messages(load_file(dir.path())) ==
        Lines{dir.path().string() + ": error: cannot read config file: Is a directory"});
}
