#include "gateway/kafka/producer_config.hpp"

#include <array>
#include <string_view>

namespace sensorgate::kafka {

namespace {

struct FixedSetting {
  std::string_view name;
  std::string_view value;
  std::string_view why;
  bool transactional;  // also fixed for a transactional producer
};

// What the delivery guarantees rest on; kafka.properties may not change these. A transactional
// producer keeps librdkafka's message.timeout.ms (transaction.timeout.ms): a row that times out
// aborts its transaction, and the transaction is sent again.
constexpr std::array<FixedSetting, 3> kFixed = {{
    {"enable.idempotence", "true", "no duplicates from producer retries", true},
    {"partitioner", "murmur2_random", "a device's records land where Java clients expect them",
     true},
    {"message.timeout.ms", "0", "undelivered rows are retried until delivered", false},
}};

// Defaults that kafka.properties may override. linger.ms 50 rather than librdkafka's 5: most
// edge boxes run at a few hundred to a few thousand readings a second, where every batch waits
// out linger.ms, and at 1,000 messages/s 50 cut the gateway's CPU by 13-29% against 5
// (bench_mqtt, two pairs); at high rates batches fill first, so it costs nothing there.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kDefaults = {{
    {"linger.ms", "50"},
    {"log.connection.close", "false"},
    {"socket.keepalive.enable", "true"},
}};

// `key` is how the operator's config names the setting, for the error message.
Status<ProducerConfigError> set(rd_kafka_conf_t* conf, const std::string& key,
                                const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    return make_error(ProducerConfigError::kInvalidProperty, key + ": " + error);
  }
  return {};
}

}  // namespace

Result<ConfHandle, ProducerConfigError> build_producer_config(const ProducerSettings& settings) {
  ConfHandle conf(rd_kafka_conf_new());
  if (auto status = set(conf.get(), "kafka.brokers", "bootstrap.servers", settings.brokers);
      !status) {
    return status.error();
  }
  if (auto status = set(conf.get(), "client.id", "client.id", settings.client_id); !status) {
    return status.error();
  }
  for (const auto& [name, value] : kDefaults) {
    if (auto status = set(conf.get(), std::string(name), std::string(name), std::string(value));
        !status) {
      return status.error();
    }
  }
  const bool transactional = !settings.transactional_id.empty();
  for (const auto& [name, value] : settings.properties) {
    if (name == "transactional.id" || (transactional && name == "message.timeout.ms")) {
      return make_error(ProducerConfigError::kConflictingProperty,
                        "kafka.properties." + name +
                            ": sensorgate sets this itself (transactional.id from gateway.id "
                            "with kafka.delivery: exactly_once); remove the key");
    }
    for (const FixedSetting& fixed : kFixed) {
      if (name == fixed.name && value != fixed.value) {
        return make_error(ProducerConfigError::kConflictingProperty,
                          "kafka.properties." + name + ": sensorgate always uses " +
                              std::string(fixed.name) + "=" + std::string(fixed.value) + " (" +
                              std::string(fixed.why) + "); remove the key");
      }
    }
    if (auto status = set(conf.get(), "kafka.properties." + name, name, value); !status) {
      return status.error();
    }
  }
  for (const auto& [name, value] : settings.secret_values) {
    char error[512];
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      // librdkafka's message may quote the value; name the key only.
      return make_error(ProducerConfigError::kInvalidProperty,
                        "kafka.secrets." + name +
                            ": librdkafka rejected this property or the value read from its "
                            "file");
    }
  }
  for (const FixedSetting& fixed : kFixed) {
    if (transactional && !fixed.transactional) continue;
    const std::string name(fixed.name);
    if (auto status = set(conf.get(), name, name, std::string(fixed.value)); !status) {
      return status.error();
    }
  }
  if (transactional) {
    if (auto status = set(conf.get(), "gateway.id", "transactional.id", settings.transactional_id);
        !status) {
      return status.error();
    }
  }
  return conf;
}

}  // namespace sensorgate::kafka
