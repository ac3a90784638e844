// The librdkafka producer configuration the forwarder uses: the gateway's fixed settings
// (idempotence, Java-compatible partitioning, retry until delivered), kafka.properties passed
// through as is, and secret values read from files. Pure functions, thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace sensorgate::kafka {

enum class ProducerConfigError {
  kInvalidProperty,      // librdkafka rejected a property name or value
  kConflictingProperty,  // kafka.properties tries to change a setting sensorgate relies on
};

struct ProducerSettings {
  std::string brokers;  // bootstrap.servers
  std::string client_id = "sensorgate";
  // kafka.properties, in file order; applied after sensorgate's defaults, so they may override
  // linger.ms, batch sizes, compression.
  std::vector<std::pair<std::string, std::string>> properties;
  // kafka.secrets resolved: property -> value read from its file. Values never appear in errors.
  std::vector<std::pair<std::string, std::string>> secret_values;
  // Non-empty: a transactional producer with this transactional.id (kafka.delivery:
  // exactly_once); kafka::producer_settings_of sets it from the delivery mode.
  std::string transactional_id;
};

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// Builds the configuration. Always sets enable.idempotence=true, partitioner=murmur2_random and,
// unless transactional, message.timeout.ms=0 (librdkafka retries forever; undelivered rows stay
// buffered); a property that sets one of these to another value, or sets transactional.id (or
// message.timeout.ms for a transactional producer), fails with kConflictingProperty. An unknown
// property
// or bad value fails with kInvalidProperty and a message naming the key, e.g.
// "kafka.properties.linger.ms: Configuration property \"linger.ms\" value 9999999 is outside
// allowed range 0..900000".
Result<ConfHandle, ProducerConfigError> build_producer_config(const ProducerSettings& settings);

}  // namespace sensorgate::kafka
