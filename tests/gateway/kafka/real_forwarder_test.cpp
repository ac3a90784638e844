// The forwarder (at_least_once, idempotent producer) against a real 3-broker Apache Kafka
// cluster (tests/kafka): what a consumer sees after a normal run, a partition leader killed
// with kill -9 mid-stream, a restart of the whole cluster, a record above the topic's
// max.message.bytes, and a topic that does not exist. Faults a real broker cannot produce on
// demand (injected error codes) stay in forwarder_test.cpp against the mock cluster.
#include <catch2/catch.hpp>
#include <string>

#include "gateway/kafka/forwarder.hpp"
#include "tests/gateway/kafka/real_topics.hpp"
#include "tests/gateway/kafka/record_checks.hpp"
#include "tests/kafka/real_cluster.hpp"
#include "tests/support/kafka_consumer.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::kafka {
namespace {

using namespace std::chrono_literals;
using namespace checks;
using testing::real_kafka;
using testing::TempDir;
using testing::wait_until;

constexpr int kPartitions = kRealPartitions;
constexpr const char* kGateway = "edge-real";

ForwarderOptions options_for(const std::string& bootstrap) {
  ForwarderOptions options;
  options.gateway_id = kGateway;
  options.producer.brokers = bootstrap;
  options.max_in_flight = 5000;
  return options;
}

TEST_CASE("real kafka: every reading arrives once with key, headers, timestamp, Java partition") {
  const std::string topic = new_topic("once");
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 40, 500);
  auto forwarder = make_forwarder(options_for(real_kafka().bootstrap()), *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);
  check_exactly_once(consume_all(topic, expected.size()), expected, kGateway, kPartitions);
  CHECK(forwarder->stats().delivered_total == expected.size());
}

// The strong form of the mock test "injected Produce errors cause neither loss, nor duplicates,
// nor reordering": here with librdkafka's default 5 requests in flight per broker, and a broker
// that checks idempotent sequence numbers.
TEST_CASE("real kafka: the partition leader killed mid-stream loses nothing, duplicates none") {
  const std::string topic = new_topic("failover");
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 40, 250);
  auto forwarder = make_forwarder(options_for(real_kafka().bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 2000; }, 30s));

  const int leader = real_kafka().leader_of(topic, 0);
  REQUIRE(leader > 0);
  INFO("killed broker " << leader);
  real_kafka().kill_broker(leader);
  append_readings(*buffer, expected, topic, 40, 500, 250);
  drain(*buffer, *forwarder);
  real_kafka().restart_broker(leader);
  REQUIRE(real_kafka().wait_in_sync(topic, 60s));

  check_exactly_once(consume_all(topic, expected.size()), expected, kGateway, kPartitions);
  CHECK(forwarder->stats().dead_lettered == 0);
}

TEST_CASE("real kafka: a restart of the whole cluster keeps what was written and takes the rest") {
  const std::string topic = new_topic("restart");
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 20, 250);
  auto forwarder = make_forwarder(options_for(real_kafka().bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return pending(*buffer) == 0; }, 60s));

  real_kafka().stop_all();
  REQUIRE(wait_until([&] { return !forwarder->stats().kafka_up; }, 30s));
  append_readings(*buffer, expected, topic, 20, 250, 250);
  real_kafka().start_all();
  drain(*buffer, *forwarder);
  REQUIRE(real_kafka().wait_in_sync(topic, 60s));
  check_exactly_once(consume_all(topic, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("real kafka: a record above the topic's max.message.bytes is dead-lettered, rest flow") {
  // The broker checks max.message.bytes per record batch: batch.size below it keeps the small
  // records in batches the topic accepts and the large one alone in its own.
  const std::string topic = new_topic("large", {{"max.message.bytes", "100000"}});
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 5, 200);
  Expected too_large;
  append_readings(*buffer, too_large, topic, 1, 1, 200, 150000);
  append_readings(*buffer, expected, topic, 5, 200, 201);
  auto options = options_for(real_kafka().bootstrap());
  options.producer.properties = {{"batch.size", "50000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  CHECK(forwarder->stats().dead_lettered == 1);
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->dead_letter_total == 1);
  check_exactly_once(consume_all(topic, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("real kafka: rows for a topic that does not exist are dead-lettered, others flow") {
  const std::string topic = new_topic("exists");
  const std::string missing = "real.missing." + std::to_string(std::random_device{}());
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 5, 100);
  Expected lost;
  append_readings(*buffer, lost, missing, 2, 5);
  append_readings(*buffer, expected, topic, 5, 100, 100);
  auto options = options_for(real_kafka().bootstrap());
  // How long librdkafka waits for a topic to appear before failing its records (default 30 s).
  options.producer.properties = {{"topic.metadata.propagation.max.ms", "2000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  CHECK(forwarder->stats().dead_lettered == lost.size());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->dead_letter_total == lost.size());
  check_exactly_once(consume_all(topic, expected.size()), expected, kGateway, kPartitions);
}

}  // namespace
}  // namespace sensorgate::kafka
