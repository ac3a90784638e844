// The forwarder against the kafka_cluster program over loopback TCP: what a downstream consumer
// sees after normal runs, broker outages, injected Produce errors, a SIGKILL mid-flight and a
// record that can never be delivered.
#include "gateway/kafka/forwarder.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "buffer/buffer.hpp"
#include "core/heartbeat.hpp"
#include "tests/gateway/kafka/record_checks.hpp"
#include "tests/support/kafka_cluster.hpp"
#include "tests/support/kafka_consumer.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::kafka {
namespace {

using namespace std::chrono_literals;
using namespace checks;
using testing::ConsumedRecord;
using testing::KafkaCluster;
using testing::TempDir;
using testing::wait_until;

constexpr const char* kTopic = "sensors.readings";
constexpr int kPartitions = 6;
constexpr const char* kGateway = "edge-test";

ForwarderOptions options_for(const std::string& bootstrap) {
  ForwarderOptions options;
  options.gateway_id = kGateway;
  options.producer.brokers = bootstrap;
  options.max_in_flight = 1000;
  return options;
}

std::vector<ConsumedRecord> consume_all(const KafkaCluster& cluster, std::size_t count) {
  return testing::consume_topic(cluster.bootstrap(), kTopic, count, 30s, 500ms);
}

TEST_CASE("readings of many devices arrive exactly once, keyed and partitioned by device") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, kTopic, 20, 250);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
  const ForwarderStats stats = forwarder->stats();
  CHECK(stats.delivered_total == expected.size());
  REQUIRE(stats.delivered_by_topic.size() == 1);
  CHECK(stats.delivered_by_topic[0].topic == kTopic);
  CHECK(stats.delivered_by_topic[0].delivered == expected.size());
  CHECK(stats.kafka_up);
  CHECK(buffer->stats()->delivered_total == expected.size());
}

TEST_CASE("an idle forwarder sleeps until records are committed, beating, then sends them") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().kafka_up; }, 30s));
  // Idle for longer than a heartbeat interval: the sleep is bounded, the watchdog sees beats.
  const auto idle_until = std::chrono::steady_clock::now() + Heartbeat::kMaxIdle + 500ms;
  auto oldest_beat = std::chrono::steady_clock::duration::zero();
  while (std::chrono::steady_clock::now() < idle_until) {
    oldest_beat = std::max(oldest_beat, forwarder->heartbeat().age());
    std::this_thread::sleep_for(10ms);
  }
  CHECK(oldest_beat < Heartbeat::kMaxIdle);
  Expected expected;
  append_readings(*buffer, expected, kTopic, 3, 5);
  drain(*buffer, *forwarder);
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
}

// The real buffer, counting the forwarder's reads.
class ReadCountingBuffer final : public buffer::Buffer {
 public:
  explicit ReadCountingBuffer(buffer::Buffer& inner) : inner_(inner) {}
  int reads() const { return reads_; }

  Result<buffer::SeqRange, buffer::BufferError> append(
      std::span<const buffer::Record> records) override {
    return inner_.append(records);
  }
  Result<buffer::PartialAppend, buffer::BufferError> append_some(
      std::span<const buffer::Record> records, std::chrono::steady_clock::time_point received_at,
      buffer::AtCap at_cap) override {
    return inner_.append_some(records, received_at, at_cap);
  }
  Status<buffer::BufferError> record_dropped(std::uint64_t rows,
                                             buffer::DropReason reason) override {
    return inner_.record_dropped(rows, reason);
  }
  Status<buffer::BufferError> store_dead_letter(const buffer::Record& record,
                                                const std::string& error) override {
    return inner_.store_dead_letter(record, error);
  }
  Result<buffer::SeqRange, buffer::BufferError> append_alert(
      const buffer::AlertRow& alert, const buffer::Record& record) override {
    return inner_.append_alert(alert, record);
  }
  Result<std::vector<buffer::AlertRow>, buffer::BufferError> firing_alerts() override {
    return inner_.firing_alerts();
  }
  using buffer::Buffer::next_batch;
  Status<buffer::BufferError> next_batch(std::size_t max_rows, buffer::RecordBatch& out) override {
    ++reads_;
    return inner_.next_batch(max_rows, out);
  }
  void rewind() override { inner_.rewind(); }
  Status<buffer::BufferError> mark_delivered(std::span<const std::int64_t> seqs) override {
    return inner_.mark_delivered(seqs);
  }
  Status<buffer::BufferError> dead_letter(std::int64_t seq, const std::string& error) override {
    return inner_.dead_letter(seq, error);
  }
  Status<buffer::BufferError> sync() override { return inner_.sync(); }
  Result<buffer::BacklogStats, buffer::BufferError> stats() override { return inner_.stats(); }
  std::uint64_t records_generation() const override { return inner_.records_generation(); }
  void wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) override {
    inner_.wait_for_records(seen, timeout);
  }
  void close() override { inner_.close(); }
  const Heartbeat& writer_heartbeat() const override { return inner_.writer_heartbeat(); }
  buffer::Durability writer_durability() const override { return inner_.writer_durability(); }

 private:
  buffer::Buffer& inner_;
  std::atomic<int> reads_{0};
};

TEST_CASE("the forwarder reads the buffer again only once records were committed since") {
  TempDir dir;
  KafkaCluster cluster;
  auto real_buffer = open_buffer(dir / "buffer.db");
  ReadCountingBuffer buffer(*real_buffer);
  Expected expected;
  append_readings(buffer, expected, kTopic, 10, 10);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return pending(buffer) == 0; }, 30s));
  std::this_thread::sleep_for(300ms);  // the last delivery reports are served
  // Drained and idle for a second: the loop wakes (at least every 250 ms, and for each report)
  // but nothing was committed since its last read found the buffer empty.
  const int reads_when_drained = buffer.reads();
  std::this_thread::sleep_for(1s);
  CHECK(buffer.reads() == reads_when_drained);
  // Records committed: read and sent.
  append_readings(buffer, expected, kTopic, 2, 5, 10);
  drain(buffer, *forwarder);
  CHECK(buffer.reads() > reads_when_drained);
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("under light load the forwarder reads the buffer at most once per idle_poll") {
  TempDir dir;
  KafkaCluster cluster;
  auto real_buffer = open_buffer(dir / "buffer.db");
  ReadCountingBuffer buffer(*real_buffer);
  auto options = options_for(cluster.bootstrap());
  options.idle_poll = 50ms;
  auto forwarder = make_forwarder(options, buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().kafka_up; }, 30s));
  // One commit of one reading every 2 ms for a second: about 500 commits.
  Expected expected;
  const int reads_before = buffer.reads();
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < 500; ++n) {
    append_readings(buffer, expected, kTopic, 1, 1, n);
    std::this_thread::sleep_for(2ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const int reads = buffer.reads() - reads_before;
  CHECK(reads >= 2);
  CHECK(reads <= elapsed / options.idle_poll + 2);
  drain(buffer, *forwarder);
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("a full in-flight window is sent at once, whatever linger.ms says") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, kTopic, 20, 25);  // 500 rows
  auto options = options_for(cluster.bootstrap());
  options.max_in_flight = 50;
  // Were each batch to wait out linger.ms, the first 450 rows would take nine minutes.
  options.producer.properties = {{"linger.ms", "60000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  CHECK(wait_until([&] { return forwarder->stats().delivered_total >= 450; }, 30s));
}

TEST_CASE("rows wait in the buffer while every broker is down and flow when they return") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, kTopic, 10, 200);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 0; }));

  REQUIRE(cluster.command("broker down all"));
  REQUIRE(wait_until([&] { return !forwarder->stats().kafka_up; }));
  CHECK(forwarder->stats().down_since_ns > 0);
  append_readings(*buffer, expected, kTopic, 10, 200, 200);
  // The outage lasts 3 s; nothing may be reported delivered meanwhile.
  const std::uint64_t delivered_before = forwarder->stats().delivered_total;
  CHECK_FALSE(
      wait_until([&] { return forwarder->stats().delivered_total != delivered_before; }, 3s));
  CHECK(pending(*buffer) > 0);

  REQUIRE(cluster.command("broker up all"));
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().kafka_up);
  CHECK(forwarder->stats().down_since_ns == 0);
  // Nothing lost and order kept per device. Not "no duplicates": after every broker went down,
  // librdkafka's mock cluster may store a resent batch twice (it does not check idempotent
  // sequence numbers, ../shared/FIELD-NOTES.md; seen once: 300 duplicates). No duplicates after
  // broker failures is proven against real Apache Kafka (kafka_real_tests).
  const auto consumed = consume_all(cluster, expected.size());
  (void)check_at_least_once(consumed, expected, kGateway, kPartitions);
  check_device_order(consumed);
}

TEST_CASE("injected Produce errors cause neither loss, nor duplicates, nor reordering") {
  const std::string error = GENERATE(as<std::string>{}, "NOT_LEADER_FOR_PARTITION",
                                     "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS");
  INFO("error " << error);
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, kTopic, 10, 100);
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
  append_readings(*buffer, expected, kTopic, 10, 300, 100);
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().dead_lettered == 0);
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("after a SIGKILL mid-flight every row arrives, duplicates only with their own seq") {
  TempDir dir;
  KafkaCluster cluster;
  const auto path = dir / "buffer.db";
  Expected expected;
  {
    auto buffer = open_buffer(path);
    append_readings(*buffer, expected, kTopic, 20, 1000);
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
  const auto arrivals = check_at_least_once(consumed, expected, kGateway, kPartitions);
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
  append_readings(*buffer, expected, kTopic, 5, 100);
  Expected too_large;
  append_readings(*buffer, too_large, kTopic, 1, 1, 100, 20000);
  append_readings(*buffer, expected, kTopic, 5, 100, 101);
  ForwarderOptions options = options_for(cluster.bootstrap());
  options.producer.properties = {{"message.max.bytes", "10000"}};
  auto forwarder = make_forwarder(options, *buffer);
  forwarder->start();
  drain(*buffer, *forwarder);

  CHECK(forwarder->stats().dead_lettered == 1);
  CHECK(buffer->stats()->dead_letter_total == 1);
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
}

TEST_CASE("a fatal producer error recreates the producer and loses nothing") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  Expected expected;
  append_readings(*buffer, expected, kTopic, 10, 100);
  auto forwarder = make_forwarder(options_for(cluster.bootstrap()), *buffer);
  forwarder->start();
  REQUIRE(wait_until([&] { return forwarder->stats().delivered_total > 0; }));

  // A sequence gap the producer cannot explain is fatal for an idempotent producer.
  REQUIRE(cluster.command("produce-errors 1 OUT_OF_ORDER_SEQUENCE_NUMBER"));
  append_readings(*buffer, expected, kTopic, 10, 300, 100);
  drain(*buffer, *forwarder);
  CHECK(forwarder->stats().producer_restarts == 1);
  const auto consumed = consume_all(cluster, expected.size());
  (void)check_at_least_once(consumed, expected, kGateway, kPartitions);
  check_device_order(consumed);
}

TEST_CASE("stop returns by its deadline during an outage and leaves the rows buffered") {
  TempDir dir;
  KafkaCluster cluster;
  auto buffer = open_buffer(dir / "buffer.db");
  REQUIRE(cluster.command("broker down all"));
  Expected expected;
  append_readings(*buffer, expected, kTopic, 4, 50);
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
  check_exactly_once(consume_all(cluster, expected.size()), expected, kGateway, kPartitions);
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
