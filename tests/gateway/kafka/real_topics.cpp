#include "tests/gateway/kafka/real_topics.hpp"

#include <chrono>
#include <random>

#include "tests/kafka/real_cluster.hpp"

namespace sensorgate::kafka::checks {

std::string unique_name(const std::string& name) {
  return "real." + name + "." + std::to_string(std::random_device{}());
}

std::string new_topic(const std::string& name, const std::map<std::string, std::string>& configs) {
  const std::string topic = unique_name(name);
  testing::real_kafka().create_topic(topic, kRealPartitions, configs);
  return topic;
}

std::vector<testing::ConsumedRecord> consume_all(const std::string& topic, std::size_t count) {
  return testing::consume_topic(testing::real_kafka().bootstrap(), topic, count,
                                std::chrono::seconds(60), std::chrono::seconds(1));
}

}  // namespace sensorgate::kafka::checks
