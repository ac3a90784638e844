// What the Kafka forwarder takes from the config: the producer settings (brokers, client id,
// kafka.properties, secrets) and the forwarder's own options. Pure; thread-safe.
#pragma once

#include "config/config.hpp"
#include "gateway/kafka/forwarder.hpp"

namespace sensorgate::gateway {

kafka::ForwarderOptions forwarder_options(const config::Config& config);

}  // namespace sensorgate::gateway
