// What the forwarder tests against real Apache Kafka (real_forwarder_test, exactly_once_test)
// share: topics and names of their own on the one shared cluster (topics outlive a test), and
// reading a topic back. Catch2 assertions; one test thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tests/support/kafka_consumer.hpp"

namespace sensorgate::kafka::checks {

// Partitions of every topic new_topic() creates.
inline constexpr int kRealPartitions = 6;

// "real.<name>.<random number>": a topic or transactional name no other test run uses.
std::string unique_name(const std::string& name);

// Creates unique_name(name) with kRealPartitions partitions and `configs`; returns its name.
std::string new_topic(const std::string& name,
                      const std::map<std::string, std::string>& configs = {});

// `count` records of `topic` as a read_committed consumer sees them (60 s at most, then 1 s more
// for records beyond `count`).
std::vector<testing::ConsumedRecord> consume_all(const std::string& topic, std::size_t count);

}  // namespace sensorgate::kafka::checks
