// The forwarder against the kafka_cluster program over loopback TCP: what a downstream consumer
// sees after normal runs, broker outages, injected Produce errors, a SIGKILL mid-flight and a
// record that can never be delivered.
#include "gateway/kafka/forwarder.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "buffer/buffer.hpp"
#include "gateway/kafka/java_partition.hpp"
#include "tests/support/kafka_cluster.hpp"
#include "tests/support/kafka_consumer.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::kafka {
namespace {

using namespace std::chrono_literals;
using testing::ConsumedRecord;
using testing::KafkaCluster;
using testing::TempDir;
using testing::wait_until;

constexpr const char* kTopic = "sensors.readings";
constexpr int kPartitions = 6;
constexpr const char* kGateway = "edge-test";

std::unique_ptr<buffer::Buffer> open_buffer(const std::filesystem::path& path) {
  auto opened = buffer::Buffer::open({.path = path});
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

// What the buffer holds, by seq.
using Expected = std::map<std::int64_t, buffer::Record>;

// Appends `per_device` readings for each of `devices` devices, interleaved as they would
// arrive, numbered from `first`; adds them to `expected`.
void append_readings(buffer::Buffer& buffer, Expected& expected, int devices, int per_device,
                     int first = 0, std::size_t value_size = 0) {
  std::vector<buffer::Record> records;
  auto flush = [&] {
    if (records.empty()) return;
    auto range = buffer.append(records);
    REQUIRE(range.ok());
    for (std::int64_t seq = range->first; seq <= range->last; ++seq) {
      expected[seq] = records[static_cast<std::size_t>(seq - range->first)];
    }
    records.clear();
  };
  for (int n = first; n < first + per_device; ++n) {
    for (int device = 0; device < devices; ++device) {
      const std::string name = "device-" + std::to_string(device);
      std::string value =
          R"({"device":")" + name + R"(","metric":"temp","value":)" + std::to_string(n) + "}";
      if (value_size > value.size()) value.append(value_size - value.size(), ' ');
      records.push_back(buffer::Record{kTopic, name, 1'700'000'000'000'000'000 + n * 1'000'000LL,
                                       std::move(value)});
      if (records.size() == 500) flush();
    }
  }
  flush();
}

ForwarderOptions options_for(const std::string& bootstrap) {
  ForwarderOptions options;
  options.gateway_id = kGateway;
  options.producer.brokers = bootstrap;
  options.max_in_flight = 1000;
  return options;
}

std::unique_ptr<Forwarder> make_forwarder(ForwarderOptions options, buffer::Buffer& buffer) {
  auto forwarder = Forwarder::create(std::move(options), buffer);
  REQUIRE(forwarder.ok());
  return std::move(forwarder.value());
}

std::uint64_t pending(buffer::Buffer& buffer) {
  auto stats = buffer.stats();
  REQUIRE(stats.ok());
  return stats->pending;
}

std::int64_t seq_of(const ConsumedRecord& record) {
  const auto header = record.header("seq");
  REQUIRE(header.has_value());
  return std::stoll(*header);
}

// Every record consumed is one the buffer held, with its key, value, timestamp and headers, on
// the partition a Java client picks for its key. Returns how often each seq arrived.
std::map<std::int64_t, int> check_records(const std::vector<ConsumedRecord>& consumed,
                                          const Expected& expected) {
  std::map<std::int64_t, int> arrivals;
  for (const ConsumedRecord& record : consumed) {
    const std::int64_t seq = seq_of(record);
    const auto found = expected.find(seq);
    REQUIRE(found != expected.end());
    const buffer::Record& original = found->second;
    REQUIRE(record.key == original.key);
    REQUIRE(record.value == original.value);
    REQUIRE(record.timestamp_ms == original.ts_ns / 1'000'000);
    REQUIRE(record.header("gateway") == std::optional<std::string>(kGateway));
    REQUIRE(record.partition == java_partition(record.key, kPartitions));
    ++arrivals[seq];
  }
  return arrivals;
}

// Every expected seq arrived at least once; names the missing ones otherwise.
void require_every_seq(const std::vector<ConsumedRecord>& consumed,
                       const std::map<std::int64_t, int>& arrivals, const Expected& expected) {
  std::string missing;
  for (const auto& [seq, record] : expected) {
    if (arrivals.count(seq) == 0) missing += " " + std::to_string(seq);
  }
  INFO(consumed.size() << " records consumed; seqs missing:" << missing);
  REQUIRE(arrivals.size() == expected.size());
}

// The first arrival of each device's readings is in seq order (the consumer reads each
// partition in offset order, and a device lives on one partition).
void check_device_order(const std::vector<ConsumedRecord>& consumed) {
  std::map<std::string, std::int64_t> last_new_seq;
  std::set<std::int64_t> seen;
  for (const ConsumedRecord& record : consumed) {
    const std::int64_t seq = seq_of(record);
    if (!seen.insert(seq).second) continue;
    auto& last = last_new_seq[record.key];
    INFO("device " << record.key << " seq " << seq << " after " << last);
    REQUIRE(seq > last);
    last = seq;
  }
}

// Every expected seq arrived exactly once, in per-device order.
void check_exactly_once(const std::vector<ConsumedRecord>& consumed, const Expected& expected) {
  const auto arrivals = check_records(consumed, expected);
  require_every_seq(consumed, arrivals, expected);
  for (const auto& [seq, count] : arrivals) {
    INFO("seq " << seq);
    REQUIRE(count == 1);
  }
  REQUIRE(consumed.size() == expected.size());
  check_device_order(consumed);
}

std::vector<ConsumedRecord> consume_all(const KafkaCluster& cluster, std::size_t count) {
  return testing::consume_topic(cluster.bootstrap(), kTopic, count, 30s, 500ms);
}

void drain(buffer::Buffer& buffer, Forwarder& forwarder) {
  REQUIRE(wait_until([&] { return pending(buffer) == 0; }, 60s));
  REQUIRE(forwarder.stop(std::chrono::steady_clock::now() + 5s).ok());
}

TEST_CASE("readings of many devices arrive exactly once, keyed and partitioned by device") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, 20, 250);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  check_exactly_once(consume_all(cluster, expected.size()), expected);
  const ForwarderStats stats = forwarder->stats();
  CHECK(stats.delivered_total == expected.size());
  REQUIRE(stats.delivered_by_topic.size() == 1);
  CHECK(stats.delivered_by_topic[0].topic == kTopic);
  CHECK(stats.delivered_by_topic[0].delivered == expected.size());
  CHECK(stats.kafka_up);
  CHECK(buffer->stats()->delivered_total == expected.size());
}

TEST_CASE("rows wait in the buffer while every broker is down and flow when they return") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, 10, 200);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 0; }));

  REQUIRE(cluster.command("broker down all"));
  REQUIRE(wait_until([&] { return !forwarder->stats().kafka_up; }));
  CHECK(forwarder->stats().down_since_ns > 0);
  append_readings(*buffer, expected, 10, 200, 200);
  // The outage lasts 3 s; nothing may be reported delivered meanwhile.
  const std::uint64_t delivered_before = forwarder->stats().delivered_total;
  CHECK_FALSE(
      wait_until([&] { return forwarder->stats().delivered_total != delivered_before; }, 3s));
  CHECK(pending(*buffer) > 0);

  REQUIRE(cluster.command("broker up all"));
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().kafka_up);
  CHECK(forwarder->stats().down_since_ns == 0);
  check_exactly_once(consume_all(cluster, expected.size()), expected);
}

TEST_CASE("injected Produce errors cause neither loss, nor duplicates, nor reordering") {
  const std::string error = GENERATE(as<std::string>{}, "NOT_LEADER_FOR_PARTITION",
                                     "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS");
  INFO("error " << error);
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, 10, 100);
  // One Produce request in flight per broker: librdkafka 2.0.2's mock cluster does not check
  // idempotent sequence numbers, so it appends a batch sent while an earlier one failed, and
  // librdkafka then counts the failed one delivered ("implicitly acked by subsequent batch
  // success"; a real broker answers OUT_OF_ORDER_SEQUENCE_NUMBER). Seen once in ~30 runs under
  // ASan, 1 to 4 rows missing from the mock's log.
  auto options = options_for(cluster.bootstrap());
  options.producer.properties.push_back({"max.in.flight.requests.per.connection", "1"});
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 0; }));

  REQUIRE(cluster.command("produce-errors 10 " + error));
  append_readings(*buffer, expected, 10, 300, 100);
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().dead_lettered == 0);
  check_exactly_once(consume_all(cluster, expected.size()), expected);
}

TEST_CASE("after a SIGKILL mid-flight every row arrives, duplicates only with their own seq") {
  TempDir dir;
  KafkaCluster cluster;
  const auto path = dir / "buffer.db";
  Expected expected;
  {
    auto buffer = open_buffer(path);
    append_readings(*buffer, expected, 20, 1000);
    buffer->close();
  }
  // Slow responses keep rows in flight when the kill comes.
  REQUIRE(cluster.command("rtt all 20"));
  const std::vector<std::string> argv = {SENSORGATE_BINARY_DIR
                                         "/tests/gateway/kafka/kafka_forward_child",
                                         path.string(), cluster.bootstrap(), kGateway, "2000"};
  auto delivered = [&] {
    auto stats = buffer::read_backlog(path);
    return stats.ok() ? stats->delivered_total : 0;
  };
  {
    testing::Subprocess child(argv);
    REQUIRE(child.read_line(10s) == std::optional<std::string>("forwarding"));
    REQUIRE(wait_until([&] { return delivered() >= 3000; }, 30s));
    child.send_signal(SIGKILL);
    REQUIRE(child.wait(10s).has_value());
  }
  const std::uint64_t delivered_at_kill = delivered();
  INFO("delivered at kill " << delivered_at_kill);
  REQUIRE(delivered_at_kill < expected.size());
  // The rows the buffer still held after the kill: the only ones that may arrive twice.
  std::set<std::int64_t> pending_at_kill;
  {
    auto buffer = open_buffer(path);
    for (int round = 0; round < 100; ++round) {
      auto batch = buffer->next_batch(10000);
      REQUIRE(batch.ok());
      if (batch->empty()) break;
      for (const auto& row : *batch) pending_at_kill.insert(row.seq);
    }
    buffer->close();
  }
  REQUIRE(pending_at_kill.size() == expected.size() - delivered_at_kill);
  REQUIRE(cluster.command("rtt all 0"));
  {
    testing::Subprocess child(argv);
    REQUIRE(child.read_line(10s) == std::optional<std::string>("forwarding"));
    REQUIRE(wait_until(
        [&] {
          auto stats = buffer::read_backlog(path);
          return stats.ok() && stats->pending == 0;
        },
        60s));
    REQUIRE(testing::exit_code_of(child.stop()) == 0);
  }

  const auto consumed = consume_all(cluster, expected.size());
  const auto arrivals = check_records(consumed, expected);
  require_every_seq(consumed, arrivals, expected);
  for (const auto& [seq, count] : arrivals) {
    if (count == 1) continue;
    INFO("seq " << seq << " arrived " << count << " times");
    REQUIRE(count == 2);
    REQUIRE(pending_at_kill.count(seq) == 1);
  }
  check_device_order(consumed);
}

TEST_CASE("a record that can never be delivered goes to the dead-letter table, the rest flow") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, 5, 100);
  Expected too_large;
  append_readings(*buffer, too_large, 1, 1, 100, 20000);
  append_readings(*buffer, expected, 5, 100, 101);
  ForwarderOptions options = options_for(cluster.bootstrap());
  options.producer.properties = {{"message.max.bytes", "10000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  CHECK(forwarder->stats().dead_lettered == 1);
  CHECK(buffer->stats()->dead_letter_total == 1);
  check_exactly_once(consume_all(cluster, expected.size()), expected);
}

TEST_CASE("a fatal producer error recreates the producer and loses nothing") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, 10, 100);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 0; }));

  // A sequence gap the producer cannot explain is fatal for an idempotent producer.
  REQUIRE(cluster.command("produce-errors 1 OUT_OF_ORDER_SEQUENCE_NUMBER"));
  append_readings(*buffer, expected, 10, 300, 100);
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().producer_restarts == 1);
  const auto consumed = consume_all(cluster, expected.size());
  const auto arrivals = check_records(consumed, expected);
  require_every_seq(consumed, arrivals, expected);
  check_device_order(consumed);
}

TEST_CASE("stop returns by its deadline during an outage and leaves the rows buffered") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  REQUIRE(cluster.command("broker down all"));
  Expected expected;
  append_readings(*buffer, expected, 4, 50);
  {
    auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
    forwarder->start();
    REQUIRE(wait_until([&] { return forwarder->stats().in_flight == expected.size(); }));
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(forwarder->stop(started + 1s).ok());
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK(forwarder->stats().delivered_total == 0);
  }
  CHECK(pending(*buffer) == expected.size());

  REQUIRE(cluster.command("broker up all"));
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);
  check_exactly_once(consume_all(cluster, expected.size()), expected);
}

TEST_CASE("an invalid kafka property fails creation with the key named") {
  TempDir dir;
  auto buffer = open_buffer(dir / "buffer.db");
  ForwarderOptions options = options_for("127.0.0.1:1");
  options.producer.properties = {{"linger.ms", "-5"}};
  auto forwarder = Forwarder::create(options, *buffer);
  REQUIRE_FALSE(forwarder.ok());
  CHECK(forwarder.error().code == ForwarderError::kInvalidProperty);
  CHECK(forwarder.error().message.rfind("kafka.properties.linger.ms: ", 0) == 0);
}

}  // namespace
}  // namespace sensorgate::kafka
