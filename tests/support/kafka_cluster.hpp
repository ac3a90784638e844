// KafkaCluster: the kafka_cluster program (tests/tools) started as a child process, a
// Kafka-protocol cluster on loopback that tests reach over TCP. Fault commands go to its stdin.
// The cluster stops (SIGKILL) when the object goes away. Not thread-safe: one test thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.hpp"

namespace sensorgate::testing {

struct KafkaClusterOptions {
  int brokers = 3;
  // "name:partitions"; empty: the program's defaults (sensors.readings:6, sensors.alerts:3).
  std::vector<std::string> topics;
};

class KafkaCluster {
 public:
  // Starts the program and waits for its bootstrap line; throws std::runtime_error when it does
  // not come within 10 s.
  explicit KafkaCluster(KafkaClusterOptions options = {});

  // "127.0.0.1:port,127.0.0.1:port,..."
  const std::string& bootstrap() const { return bootstrap_; }

  // Sends one command line ("broker down 1", "produce-errors 5 NOT_LEADER_FOR_PARTITION",
  // "rtt all 50") and returns true once the program answers "ok"; false on "error ..." (which is
  // printed to stderr) or when no answer comes within 5 s.
  bool command(const std::string& text);

 private:
  std::unique_ptr<Subprocess> process_;
  std::string bootstrap_;
};

}  // namespace sensorgate::testing
