// kafka.delivery: exactly_once against a real 3-broker Apache Kafka cluster (tests/kafka), seen
// by a read_committed consumer: each reading once with the progress record beside it, across
// kill -9 of the forwarder at random moments, an aborted transaction, a restart of the whole
// cluster mid-transaction, and fencing (same gateway id) versus two ids side by side.
#include <signal.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "gateway/kafka/forwarder.hpp"
#include "tests/gateway/kafka/real_topics.hpp"
#include "tests/gateway/kafka/record_checks.hpp"
#include "tests/kafka/real_cluster.hpp"
#include "tests/support/kafka_consumer.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_seed.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::kafka {
namespace {

using namespace std::chrono_literals;
using namespace checks;
using testing::real_kafka;
using testing::TempDir;
using testing::wait_until;

constexpr int kPartitions = kRealPartitions;

ForwarderOptions exactly_once_options(const std::string& gateway, const std::string& progress) {
  ForwarderOptions options;
  options.gateway_id = gateway;
  options.producer.brokers = real_kafka().bootstrap();
  options.max_in_flight = 5000;
  options.delivery = Delivery::kExactlyOnce;
  options.transaction_rows = 2000;
  options.progress_topic = progress;
  return options;
}

// The value of the newest progress record of `gateway` (read_committed).
std::int64_t progress_of(const std::string& progress_topic, const std::string& gateway) {
  std::int64_t progress = 0;
  for (const auto& record :
       testing::consume_topic(real_kafka().bootstrap(), progress_topic, 1000000, 3s, 0ms)) {
    if (record.key == gateway) progress = std::stoll(record.value);
  }
  return progress;
}

TEST_CASE("exactly once: each reading is committed once, with the highest seq as progress") {
  const std::string topic = new_topic("eos.once");
  const std::string progress = unique_name("eos.progress");
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 40, 500);
  auto forwarder = make_forwarder(exactly_once_options("eos-once", progress), *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  check_exactly_once(consume_all(topic, expected.size()), expected, "eos-once", kPartitions);
  const ForwarderStats stats = forwarder->stats();
  CHECK(stats.delivered_total == expected.size());
  CHECK(stats.transactions_committed >= expected.size() / 2000);
  CHECK(stats.transactions_aborted == 0);
  CHECK(progress_of(progress, "eos-once") == expected.rbegin()->first);
}

TEST_CASE("exactly once: kill -9 of the forwarder at random moments loses and repeats nothing") {
  const std::string topic = new_topic("eos.kill");
  const std::string progress = unique_name("eos.progress");
  const std::string gateway = "eos-kill";
  TempDir dir;
  const auto path = dir / "buffer.db";
  Expected expected;
  {
    auto buffer = open_buffer(path);
    append_readings(*buffer, expected, topic, 40, 1500);
    buffer->close();
  }
  auto delivered = [&] {
    auto stats = buffer::read_backlog(path);
    return stats.ok() ? stats->delivered_total : 0;
  };
  const std::vector<std::string> argv = {SENSORGATE_BINARY_DIR
                                         "/tests/gateway/kafka/kafka_forward_child",
                                         path.string(),
                                         real_kafka().bootstrap(),
                                         gateway,
                                         "5000",
                                         "exactly_once",
                                         progress};
  std::mt19937 random(testing::test_seed("exactly_once forwarder kill test"));
  int kills = 0;
  for (int round = 0; round < 8 && delivered() < expected.size(); ++round) {
    testing::Subprocess child(argv);
    REQUIRE(child.read_line(20s) == std::optional<std::string>("forwarding"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 1200));
    child.send_signal(SIGKILL);
    REQUIRE(child.wait(10s).has_value());
    ++kills;
  }
  INFO(kills << " kills; delivered before the last run " << delivered());
  {
    testing::Subprocess child(argv);
    REQUIRE(child.read_line(20s) == std::optional<std::string>("forwarding"));
    REQUIRE(wait_until(
        [&] {
          auto stats = buffer::read_backlog(path);
          return stats.ok() && stats->pending == 0;
        },
        90s));
    REQUIRE(testing::exit_code_of(child.stop()) == 0);
  }
  CHECK(kills >= 3);
  check_exactly_once(consume_all(topic, expected.size()), expected, gateway, kPartitions);
}

TEST_CASE("exactly once: an aborted transaction is sent again and its rows appear once") {
  // A record the topic refuses fails its transaction: the rest of it is aborted and sent again.
  const std::string topic = new_topic("eos.abort", {{"max.message.bytes", "100000"}});
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 5, 200);
  Expected too_large;
  append_readings(*buffer, too_large, topic, 1, 1, 200, 150000);
  append_readings(*buffer, expected, topic, 5, 200, 201);
  auto options = exactly_once_options("eos-abort", unique_name("eos.progress"));
  options.producer.properties = {{"batch.size", "50000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  CHECK(forwarder->stats().transactions_aborted >= 1);
  CHECK(forwarder->stats().dead_lettered == 1);
  check_exactly_once(consume_all(topic, expected.size()), expected, "eos-abort", kPartitions);
}

TEST_CASE("exactly once: the cluster restarted mid-transaction, every reading appears once") {
  const std::string topic = new_topic("eos.outage");
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, topic, 20, 100);
  auto options = exactly_once_options("eos-outage", unique_name("eos.progress"));
  options.transaction_interval = 3s;  // the transaction is open when the cluster goes
  options.transaction_rows = 1000000;
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  // Rows delivered (kafka_up comes with the first report) and not yet committed.
  REQUIRE(wait_until(
      [&] {
        const ForwarderStats stats = forwarder->stats();
        return stats.kafka_up && stats.in_flight == 0 && pending(*buffer) > 0;
      },
      30s));
  real_kafka().stop_all();
  append_readings(*buffer, expected, topic, 20, 100, 100);
  real_kafka().start_all();
  drain(*buffer, *forwarder);
  REQUIRE(real_kafka().wait_in_sync(topic, 60s));
  check_exactly_once(consume_all(topic, expected.size()), expected, "eos-outage", kPartitions);
}

TEST_CASE(
    "exactly once: two gateway ids do not fence each other, and a second process with the "
    "same id stops the first with a clear error") {
  const std::string topic = new_topic("eos.fence");
  const std::string progress = unique_name("eos.progress");
  TempDir dir;
  auto first_buffer = open_buffer(dir / "first.db");
  auto other_buffer = open_buffer(dir / "other.db");
  Expected first_expected;
  Expected other_expected;
  append_readings(*first_buffer, first_expected, topic, 10, 300);
  append_readings(*other_buffer, other_expected, topic, 10, 300);
  // Written on the first forwarder's thread.
  std::mutex fatal_mutex;
  std::string fatal_message;
  auto fatal = [&] {
    std::lock_guard lock(fatal_mutex);
    return fatal_message;
  };
  auto first_options = exactly_once_options("eos-first", progress);
  first_options.transaction_rows = 500;
  first_options.on_fatal = [&](const std::string& message) {
    std::lock_guard lock(fatal_mutex);
    fatal_message = message;
  };
  auto first = make_forwarder(first_options, *first_buffer);
  auto other = make_forwarder(exactly_once_options("eos-other", progress), *other_buffer);
  first->start();
  other->start();
  REQUIRE(
      wait_until([&] { return pending(*first_buffer) == 0 && pending(*other_buffer) == 0; }, 60s));
  CHECK(first->stats().transactions_committed > 0);
  CHECK(other->stats().transactions_committed > 0);
  CHECK(fatal().empty());
  REQUIRE(other->stop(std::chrono::steady_clock::now() + 5s).ok());

  // The same id again: the newer producer fences the running one at its next transaction.
  TempDir second_dir;
  auto second_buffer = open_buffer(second_dir / "buffer.db");
  Expected second_expected;
  // Rows up to the first one's progress count as committed (same id): give it more than that.
  append_readings(*second_buffer, second_expected, topic, 10, 400);
  auto second = make_forwarder(exactly_once_options("eos-first", progress), *second_buffer);
  second->start();
  REQUIRE(wait_until([&] { return second->stats().transactions_committed > 0; }, 30s));
  append_readings(*first_buffer, first_expected, topic, 10, 300, 300);
  REQUIRE(wait_until([&] { return pending(*first_buffer) == 0 || !fatal().empty(); }, 30s));
  const auto stopped = first->stop(std::chrono::steady_clock::now() + 5s);
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().code == ForwarderError::kFenced);
  INFO(fatal());
  CHECK(fatal().find("another process took over transactional.id sensorgate-eos-first") !=
        std::string::npos);
  CHECK(pending(*first_buffer) > 0);  // nothing sent after the fence, nothing lost
  REQUIRE(second->stop(std::chrono::steady_clock::now() + 5s).ok());
}

}  // namespace
}  // namespace sensorgate::kafka
