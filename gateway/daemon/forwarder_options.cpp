#include "gateway/daemon/forwarder_options.hpp"

namespace sensorgate::gateway {

kafka::ForwarderOptions forwarder_options(const config::Config& config) {
  kafka::ForwarderOptions options;
  options.gateway_id = config.gateway.id;
  options.producer.brokers = config.kafka.brokers;
  options.producer.client_id = "sensorgate-" + config.gateway.id;
  options.producer.properties = config.kafka.properties;
  options.producer.secret_values = config.kafka.secret_values;
  options.max_in_flight = config.kafka.max_in_flight;
  options.delivery = config.kafka.delivery == config::KafkaDelivery::kExactlyOnce
                         ? kafka::Delivery::kExactlyOnce
                         : kafka::Delivery::kAtLeastOnce;
  options.transaction_rows = config.kafka.transaction_rows;
  options.transaction_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.kafka.transaction_interval);
  options.progress_topic = config.kafka.progress_topic;
  return options;
}

}  // namespace sensorgate::gateway
