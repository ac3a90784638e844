// real_kafka_cluster: starts and stops the 3-broker Apache Kafka cluster that the real_kafka
// tests share (the ctest fixture runs it; see tests/kafka/CMakeLists.txt).
//
//   real_kafka_cluster start STATE_DIR FETCH_SCRIPT
//       fetches the jars once (FETCH_SCRIPT prints their folder), stops a cluster left over in
//       STATE_DIR by an aborted run, starts a new one, waits until every broker is ready, and
//       prints the bootstrap servers, the start time and the brokers' resident memory.
//   real_kafka_cluster stop STATE_DIR
//       kills every broker listed in STATE_DIR by PID and removes the cluster's data.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "tests/kafka/real_cluster.hpp"
#include "tests/support/subprocess.hpp"

using sensorgate::testing::RealKafkaCluster;

namespace {

// Runs the fetch script; returns the folder it printed on its last line.
std::string fetch_jars(const std::string& script) {
  sensorgate::testing::Subprocess fetch({script});
  std::string last;
  while (auto line = fetch.read_line(std::chrono::minutes(10))) last = *line;
  const auto status = fetch.wait(std::chrono::seconds(10));
  if (!status || sensorgate::testing::exit_code_of(*status) != 0 || last.empty()) {
    throw std::runtime_error(script + " failed");
  }
  return last;
}

void stop_leftover(const std::string& state_dir) {
  try {
    RealKafkaCluster::attach(state_dir)->destroy();
    std::printf("real_kafka_cluster: stopped a cluster left over in %s\n", state_dir.c_str());
  } catch (const std::runtime_error&) {
    // No state file: nothing left over.
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "start" && argc == 4) {
      const std::string libs = fetch_jars(argv[3]);
      stop_leftover(argv[2]);
      const auto began = std::chrono::steady_clock::now();
      auto cluster = RealKafkaCluster::start(libs, argv[2], false);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::printf(
          "real_kafka_cluster: 3 brokers ready at %s in %.1f s, resident %.0f MiB, data %s\n",
          cluster->bootstrap().c_str(), seconds,
          static_cast<double>(cluster->resident_bytes()) / (1024.0 * 1024.0),
          cluster->data_dir().c_str());
      return 0;
    }
    if (command == "stop" && argc == 3) {
      stop_leftover(argv[2]);
      return 0;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "real_kafka_cluster: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr, "usage: real_kafka_cluster start STATE_DIR FETCH_SCRIPT | stop STATE_DIR\n");
  return 2;
}
