#include "gateway/kafka/producer_config.hpp"

#include <catch2/catch.hpp>
#include <string>

using sensorgate::kafka::build_producer_config;
using sensorgate::kafka::ProducerConfigError;
using sensorgate::kafka::ProducerSettings;

namespace {

ProducerSettings local_settings() {
  ProducerSettings settings;
  settings.brokers = "127.0.0.1:9092";
  return settings;
}

std::string get(rd_kafka_conf_t* conf, const char* name) {
  char value[512];
  size_t size = sizeof value;
  REQUIRE(rd_kafka_conf_get(conf, name, value, &size) == RD_KAFKA_CONF_OK);
  return value;
}

}  // namespace

TEST_CASE("the producer is idempotent, murmur2-partitioned and retries until delivered") {
  auto conf = build_producer_config(local_settings());
  REQUIRE(conf.ok());
  CHECK(get(conf->get(), "enable.idempotence") == "true");
  CHECK(get(conf->get(), "partitioner") == "murmur2_random");
  CHECK(get(conf->get(), "message.timeout.ms") == "0");
  CHECK(get(conf->get(), "bootstrap.servers") == "127.0.0.1:9092");
}

TEST_CASE("without kafka.properties the producer waits 50 ms to fill a batch") {
  auto conf = build_producer_config(local_settings());
  REQUIRE(conf.ok());
  CHECK(get(conf->get(), "linger.ms") == "50");
}

TEST_CASE("kafka.properties pass through to librdkafka and override the defaults") {
  ProducerSettings settings = local_settings();
  settings.properties = {{"compression.type", "lz4"}, {"linger.ms", "7"}};
  auto conf = build_producer_config(settings);
  REQUIRE(conf.ok());
  CHECK(get(conf->get(), "compression.type") == "lz4");
  CHECK(get(conf->get(), "linger.ms") == "7");
}

TEST_CASE("a secret value is applied without appearing in an error") {
  ProducerSettings settings = local_settings();
  settings.secret_values = {{"sasl.password", "s3cret"}};
  auto conf = build_producer_config(settings);
  REQUIRE(conf.ok());
  CHECK(get(conf->get(), "sasl.password") == "s3cret");

  settings.secret_values = {{"sasl.passwort", "s3cret"}};
  auto bad = build_producer_config(settings);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ProducerConfigError::kInvalidProperty);
  CHECK(bad.error().message.find("kafka.secrets.sasl.passwort") != std::string::npos);
  CHECK(bad.error().message.find("s3cret") == std::string::npos);
}

TEST_CASE("an unknown property is rejected with its key named") {
  ProducerSettings settings = local_settings();
  settings.properties = {{"compression.typo", "lz4"}};
  auto conf = build_producer_config(settings);
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.error().code == ProducerConfigError::kInvalidProperty);
  CHECK(conf.error().message ==
        "kafka.properties.compression.typo: No such configuration property: "
        "\"compression.typo\"");
}

TEST_CASE("a bad property value is rejected with its key named") {
  ProducerSettings settings = local_settings();
  settings.properties = {{"linger.ms", "forever"}};
  auto conf = build_producer_config(settings);
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.error().code == ProducerConfigError::kInvalidProperty);
  CHECK(conf.error().message.rfind("kafka.properties.linger.ms: ", 0) == 0);
}

TEST_CASE("properties that would weaken the delivery guarantees are rejected") {
  ProducerSettings settings = local_settings();
  settings.properties = {{"enable.idempotence", "false"}};
  auto conf = build_producer_config(settings);
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.error().code == ProducerConfigError::kConflictingProperty);
  CHECK(conf.error().message ==
        "kafka.properties.enable.idempotence: sensorgate always uses enable.idempotence=true "
        "(no duplicates from producer retries); remove the key");

  settings.properties = {{"partitioner", "consistent_random"}};
  CHECK(build_producer_config(settings).error().code == ProducerConfigError::kConflictingProperty);
  settings.properties = {{"partitioner", "murmur2_random"}};
  CHECK(build_producer_config(settings).ok());
}

TEST_CASE("exactly once: the producer is transactional and keeps librdkafka's message timeout") {
  ProducerSettings settings = local_settings();
  settings.transactional_id = "sensorgate-edge-01";
  auto conf = build_producer_config(settings);
  REQUIRE(conf.ok());
  CHECK(get(conf->get(), "transactional.id") == "sensorgate-edge-01");
  CHECK(get(conf->get(), "enable.idempotence") == "true");
  CHECK(get(conf->get(), "message.timeout.ms") != "0");
}

TEST_CASE(
    "kafka.properties may not set transactional.id, nor message.timeout.ms when "
    "transactional") {
  ProducerSettings settings = local_settings();
  settings.properties = {{"transactional.id", "mine"}};
  auto conf = build_producer_config(settings);
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.error().code == ProducerConfigError::kConflictingProperty);
  CHECK(conf.error().message ==
        "kafka.properties.transactional.id: sensorgate sets this itself (transactional.id from "
        "gateway.id with kafka.delivery: exactly_once); remove the key");

  settings.properties = {{"message.timeout.ms", "1000"}};
  settings.transactional_id = "sensorgate-edge-01";
  auto timeout = build_producer_config(settings);
  REQUIRE_FALSE(timeout.ok());
  CHECK(timeout.error().code == ProducerConfigError::kConflictingProperty);
}
