// RealKafkaCluster: a 3-broker Apache Kafka cluster (KRaft, each node broker and controller) on
// free loopback ports, for the real_kafka test tier. The brokers are Java processes started from
// the jars that tests/kafka/fetch_kafka.sh put in its cache; their data lives in a temp dir.
//
// One cluster serves every test of a ctest run: the real_kafka_cluster program starts it
// (ctest fixture setup), writes a state file (ports, PIDs, dirs), and stops it by PID at the end
// (fixture cleanup, pass or fail). A test attaches to that state file through the environment
// variable SENSORGATE_REAL_KAFKA; a test binary run by hand without it starts its own cluster,
// stopped when the process exits normally.
//
// Topics: auto-creation is off; default replication 3, min.insync.replicas=2, also for the
// transaction and offsets topics. Not thread-safe: one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sensorgate::testing {

struct RealBroker {
  int id = 0;  // node.id, 1..3
  std::uint16_t port = 0;
  std::uint16_t controller_port = 0;
  pid_t pid = -1;  // -1 while stopped
};

class RealKafkaCluster {
 public:
  // Formats the storage of three nodes in a new temp dir, starts them and waits until every
  // broker is ready (see wait_ready). `libs` holds the Kafka jars; the state file goes to
  // `state_dir`. Throws std::runtime_error naming what failed (the brokers' logs stay in the
  // data dir, named in the message). With `owned`, the destructor stops the brokers.
  static std::unique_ptr<RealKafkaCluster> start(const std::filesystem::path& libs,
                                                 const std::filesystem::path& state_dir,
                                                 bool owned);
  // Reads the state file in `state_dir`; throws std::runtime_error when there is none.
  static std::unique_ptr<RealKafkaCluster> attach(const std::filesystem::path& state_dir);

  // Owned clusters: stops every broker (stop_all) and removes the data dir.
  ~RealKafkaCluster();
  RealKafkaCluster(const RealKafkaCluster&) = delete;
  RealKafkaCluster& operator=(const RealKafkaCluster&) = delete;

  // "127.0.0.1:port,127.0.0.1:port,127.0.0.1:port"
  std::string bootstrap() const;
  const std::vector<RealBroker>& brokers() const { return brokers_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // kill -9 of broker `id`; returns once the process is gone.
  void kill_broker(int id);
  // Starts broker `id` again on its ports and data; waits until it is ready (throws if not
  // within 60 s).
  void restart_broker(int id);
  // SIGTERM to every broker (SIGKILL after 30 s); returns once all are gone.
  void stop_all();
  // Starts every stopped broker and waits until all are ready.
  void start_all();
  // Stops every broker and removes the data dir (the fixture's cleanup).
  void destroy();

  // True once every running broker answers metadata listing all running brokers, within
  // `timeout`.
  bool wait_ready(std::chrono::milliseconds timeout);

  // Creates a topic (replication 3) with extra topic configs; throws std::runtime_error.
  void create_topic(const std::string& name, int partitions,
                    const std::map<std::string, std::string>& configs = {});
  // The node id leading `partition` of `topic`, or -1 when it has none or metadata failed.
  int leader_of(const std::string& topic, int partition);
  // True once every partition of `topic` has all three replicas in sync, within `timeout`.
  bool wait_in_sync(const std::string& topic, std::chrono::milliseconds timeout);

  // Resident memory of every running broker, in bytes (from /proc).
  std::uint64_t resident_bytes() const;

 private:
  RealKafkaCluster() = default;
  void launch(RealBroker& broker);
  void write_state() const;
  std::filesystem::path node_dir(int id) const;
  // For a failure's message: per broker, whether it runs, its log and its last warnings.
  std::string broker_warnings() const;

  std::filesystem::path libs_;
  std::filesystem::path state_dir_;
  std::filesystem::path data_dir_;
  std::vector<RealBroker> brokers_;
  bool owned_ = false;
};

// The cluster of this test run: attached through SENSORGATE_REAL_KAFKA, else started once for
// the process (jars from tests/kafka/fetch_kafka.sh). Throws std::runtime_error.
RealKafkaCluster& real_kafka();

}  // namespace sensorgate::testing
