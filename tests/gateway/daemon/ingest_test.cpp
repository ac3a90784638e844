// The ingest pipeline between adapters and the buffer: readings become records, queued ones are
// committed, refusals at the cap are distinct, and what is queued at stop is committed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "buffer/buffer.hpp"
#include "core/reading_json.hpp"
#include "gateway/daemon/ingest.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::gateway {
namespace {

using testing::TempDir;

std::unique_ptr<buffer::Buffer> open_buffer(const TempDir& dir, buffer::OnFull on_full,
                                            std::uint64_t max_bytes = 1ull << 30) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.on_full = on_full;
  options.max_bytes = Bytes{max_bytes};
  auto opened = buffer::Buffer::open(options);
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

std::unique_ptr<buffer::Buffer> open_buffer(const buffer::Options& options) {
  auto opened = buffer::Buffer::open(options);
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

Reading reading(const std::string& device, double value, const std::string& topic = "") {
  Reading r;
  r.device = device;
  r.metric = "temp";
  r.value = value;
  r.unit = "C";
  r.ts_ns = 1'700'000'000'000'000'000;
  r.topic = topic;
  return r;
}

class Recorder final : public ReadingObserver {
 public:
  void observe(const std::vector<Reading>& readings) override { seen += readings.size(); }
  std::atomic<std::size_t> seen{0};
};

TEST_CASE("submitted readings are committed as JSON records on their topic, keyed by device") {
  TempDir dir;
  auto buffer = open_buffer(dir, buffer::OnFull::kDropOldest);
  Recorder recorder;
  IngestPipeline ingest(*buffer, "sensors.readings", &recorder);
  REQUIRE(ingest.submit({reading("hall-1", 21.5), reading("boiler-1", 8.1, "plant.boilers")}).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 2; }));
  CHECK(recorder.seen == 2);
  const auto rows = buffer->next_batch(10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].record.topic == "sensors.readings");
  CHECK((*rows)[0].record.key == "hall-1");
  CHECK(nlohmann::json::parse((*rows)[0].record.value)["value"] == 21.5);
  CHECK((*rows)[1].record.topic == "plant.boilers");
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("submit_and_wait returns once committed, and refuses at the cap with kFull") {
  TempDir dir;
  auto buffer = open_buffer(dir, buffer::OnFull::kReject, 300);
  IngestPipeline ingest(*buffer, "sensors.readings");
  REQUIRE(ingest.submit_and_wait({reading("hall-1", 1)}).ok());
  CHECK(buffer->stats()->pending == 1);
  Status<adapters::IngestError> refused;
  for (int i = 0; i < 10 && refused.ok(); ++i)
    refused = ingest.submit_and_wait({reading("hall-1", i)});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == adapters::IngestError::kFull);
  CHECK(ingest.counters().rejected_full == 1);
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("stop commits what is queued and later submits fail with kStopping") {
  TempDir dir;
  auto buffer = open_buffer(dir, buffer::OnFull::kDropOldest);
  IngestPipeline ingest(*buffer, "sensors.readings");
  for (int i = 0; i < 100; ++i) REQUIRE(ingest.submit({reading("hall-1", i)}).ok());
  ingest.stop(std::chrono::seconds(5));
  CHECK(ingest.counters().committed == 100);
  CHECK(buffer->stats()->pending == 100);
  const auto late = ingest.submit({reading("hall-1", 1)});
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == adapters::IngestError::kStopping);
}

TEST_CASE("readings submitted within commit_interval of the first are committed in one group") {
  TempDir dir;
  auto buffer = open_buffer(dir, buffer::OnFull::kDropOldest);
  // Long enough that the five submits below always fall inside it.
  IngestPipeline ingest(*buffer, "sensors.readings", nullptr,
                        IngestOptions{.commit_interval = std::chrono::seconds(1)});
  const std::uint64_t generation_before = buffer->records_generation();
  for (int i = 0; i < 5; ++i) REQUIRE(ingest.submit({reading("hall-1", i)}).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 5; }));
  // Handing the first one over at once would commit it alone, the other four after it.
  CHECK(buffer->records_generation() == generation_before + 1);
  CHECK(buffer->stats()->pending == 5);
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("a group that reaches commit_max_rows is committed without waiting for the interval") {
  TempDir dir;
  auto buffer = open_buffer(dir, buffer::OnFull::kDropOldest);
  IngestPipeline ingest(
      *buffer, "sensors.readings", nullptr,
      IngestOptions{.commit_interval = std::chrono::hours(1), .commit_max_rows = 3});
  REQUIRE(ingest.submit({reading("hall-1", 1), reading("hall-1", 2)}).ok());
  REQUIRE(ingest.submit({reading("hall-1", 3)}).ok());
  // Well inside the hour: the third reading fills the group.
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 3; }));
  // One reading alone waits for the interval, or for stop, which commits it.
  REQUIRE(ingest.submit({reading("hall-1", 4)}).ok());
  CHECK_FALSE(testing::wait_until([&] { return ingest.counters().committed == 4; },
                                  std::chrono::milliseconds(200)));
  ingest.stop(std::chrono::seconds(5));
  CHECK(ingest.counters().committed == 4);
}

// Every reading as the buffer must store it: topic, key and JSON value built from the reading.
std::vector<buffer::Record> expected_records(const std::vector<Reading>& readings) {
  std::vector<buffer::Record> records;
  for (const Reading& r : readings) {
    records.push_back(buffer::Record{r.topic.empty() ? "sensors.readings" : r.topic, r.device,
                                     r.ts_ns, encode_reading_json(r)});
  }
  return records;
}

std::vector<Reading> numbered_readings(int first, int count) {
  std::vector<Reading> readings;
  for (int i = first; i < first + count; ++i) {
    Reading r = reading("dev-" + std::to_string(i % 3), i);
    r.ts_ns += i;
    r.tags = {{"n", std::to_string(i)}};
    readings.push_back(std::move(r));
  }
  return readings;
}

// Plays Kafka: takes everything pending, marks it delivered and commits that; appends what it
// took to `out`.
void drain(buffer::Buffer& buffer, std::vector<buffer::StoredRecord>& out) {
  for (int rounds = 0; rounds < 10'000; ++rounds) {
    auto batch = buffer.next_batch(1000);
    REQUIRE(batch.ok());
    if (batch->empty()) break;
    std::vector<std::int64_t> seqs;
    for (auto& row : *batch) {
      seqs.push_back(row.seq);
      out.push_back(std::move(row));
    }
    REQUIRE(buffer.mark_delivered(seqs).ok());
  }
  const auto synced = buffer.sync();
  INFO((synced.ok() ? std::string() : synced.error().message));
  REQUIRE(synced.ok());
}

void check_same_records(const std::vector<buffer::StoredRecord>& stored,
                        const std::vector<buffer::Record>& expected) {
  REQUIRE(stored.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("record " << i << ", seq " << stored[i].seq);
    CHECK(stored[i].record.topic == expected[i].topic);
    CHECK(stored[i].record.key == expected[i].key);
    CHECK(stored[i].record.ts_ns == expected[i].ts_ns);
    CHECK(stored[i].record.value == expected[i].value);
    if (i > 0) CHECK(stored[i].seq > stored[i - 1].seq);
  }
}

// What the first `count` records weigh against buffer.max_bytes.
std::uint64_t bytes_of_first(const std::vector<buffer::Record>& records, std::size_t count) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < count; ++i) {
    sum += records[i].topic.size() + records[i].key.size() + records[i].value.size();
  }
  return sum;
}

// A buffer file in `dir` with on_full reject and a cap that the first `fitting` records fill.
buffer::Options rejecting_after(const TempDir& dir, const std::vector<buffer::Record>& records,
                                std::size_t fitting) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.on_full = buffer::OnFull::kReject;
  options.max_bytes = Bytes{bytes_of_first(records, fitting) + 5};
  return options;
}

TEST_CASE("readings held across a failed commit are stored byte for byte as submitted") {
  TempDir dir;
  const auto readings = numbered_readings(0, 15);
  const auto expected = expected_records(readings);
  auto buffer = open_buffer(rejecting_after(dir, expected, 10));
  IngestPipeline ingest(*buffer, "sensors.readings");
  // Ten fill the buffer; the next five are refused (the commit fails) and held.
  for (int i = 0; i < 10; ++i) REQUIRE(ingest.submit({readings[i]}).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 10; }));
  REQUIRE(ingest.submit({readings.begin() + 10, readings.end()}).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().rejected_full > 0; }));
  // Kafka takes the backlog: the held readings are committed on a later try.
  std::vector<buffer::StoredRecord> stored;
  drain(*buffer, stored);
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 15; }));
  drain(*buffer, stored);
  check_same_records(stored, expected);
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("submit blocks while the queued readings fill max_queued_bytes, until they commit") {
  TempDir dir;
  const auto readings = numbered_readings(0, 16);
  const auto expected = expected_records(readings);
  auto buffer = open_buffer(rejecting_after(dir, expected, 10));
  // A bound of one byte: any held record reaches it.
  IngestPipeline ingest(*buffer, "sensors.readings", nullptr, IngestOptions{.max_queued_bytes = 1});
  // Into an empty queue a submit always goes, however far above the bound.
  REQUIRE(ingest.submit({readings.begin(), readings.begin() + 15}).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().rejected_full > 0; }));
  CHECK(ingest.counters().committed == 10);  // five held at the cap
  std::atomic<bool> returned{false};
  std::atomic<bool> accepted{false};
  std::jthread submitter([&] {
    accepted = ingest.submit({readings[15]}).ok();
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(returned.load());  // backpressure: the held five fill the bound
  std::vector<buffer::StoredRecord> stored;
  drain(*buffer, stored);  // Kafka takes the backlog: the held five commit, the bound frees
  REQUIRE(testing::wait_until([&] { return returned.load(); }));
  CHECK(accepted.load());
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 16; }));
  drain(*buffer, stored);
  check_same_records(stored, expected);
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("with on_full reject a held batch larger than the cap is committed as far as it fits") {
  TempDir dir;
  const auto readings = numbered_readings(0, 40);
  const auto expected = expected_records(readings);
  auto buffer = open_buffer(rejecting_after(dir, expected, 10));
  IngestPipeline ingest(*buffer, "sensors.readings");
  REQUIRE(ingest.submit(readings).ok());  // one batch, four times the cap
  REQUIRE(testing::wait_until([&] { return ingest.counters().committed == 10; }));
  std::vector<buffer::StoredRecord> stored;
  for (int round = 0; round < 100 && ingest.counters().committed < 40; ++round) {
    const auto before = ingest.counters().committed;
    drain(*buffer, stored);
    REQUIRE(testing::wait_until([&] { return ingest.counters().committed > before; }));
  }
  drain(*buffer, stored);
  check_same_records(stored, expected);
  CHECK(buffer->stats()->dropped_total == 0);
  ingest.stop(std::chrono::seconds(5));
}

TEST_CASE("stop commits readings held at the cap with on_full reject: SIGTERM loses nothing") {
  TempDir dir;
  const auto readings = numbered_readings(0, 30);
  const auto expected = expected_records(readings);
  auto buffer = open_buffer(rejecting_after(dir, expected, 10));
  IngestPipeline ingest(*buffer, "sensors.readings");
  REQUIRE(ingest.submit(readings).ok());
  REQUIRE(testing::wait_until([&] { return ingest.counters().rejected_full > 0; }));
  ingest.stop(std::chrono::seconds(5));
  CHECK(ingest.counters().committed == 30);
  CHECK(ingest.counters().lost_at_stop == 0);
  std::vector<buffer::StoredRecord> stored;
  drain(*buffer, stored);
  check_same_records(stored, expected);
  CHECK(buffer->stats()->dropped_total == 0);
}

TEST_CASE("readings that cannot be committed by the stop deadline are counted in dropped_total") {
  TempDir dir;
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.max_page_count = 40;  // the disk is full: no append can commit
  auto buffer = open_buffer(options);
  IngestPipeline ingest(*buffer, "sensors.readings");
  std::vector<Reading> big;
  for (int i = 0; i < 300; ++i) {
    Reading r = reading("dev", i);
    r.tags = {{"payload", std::string(2000, 'x')}};
    big.push_back(std::move(r));
  }
  REQUIRE(ingest.submit(big).ok());
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    ingest.stop(std::chrono::milliseconds(300));
    stopped = true;
  });
  // stop() returns once its deadline passed, also while every commit fails.
  const bool returned = testing::wait_until([&] { return stopped.load(); });
  stopper.join();
  REQUIRE(returned);
  CHECK(ingest.counters().committed == 0);
  CHECK(ingest.counters().lost_at_stop == 300);
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->dropped_total == 300);
  CHECK(stats->dropped_by_reason.at("not_committed_at_stop") == 300);
}

// A tmpfs of `size` mounted for the test and unmounted when it ends, pass or fail.
class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at);
    const std::string options = "size=" + size;
    if (::mount("tmpfs", at.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      FAIL("cannot mount a " << size << " tmpfs at " << at
                             << " (the test needs root): " << std::strerror(errno));
    }
  }
  ~SmallDisk() { ::umount2(at_.c_str(), MNT_DETACH); }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

 private:
  std::filesystem::path at_;
};

TEST_CASE("a full disk drains when Kafka returns, and every reading is stored as submitted") {
  TempDir dir;
  SmallDisk disk(dir / "disk", "16m");
  buffer::Options options;
  options.path = dir / "disk" / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  options.reserve_bytes = 5_MiB;
  auto buffer = open_buffer(options);
  IngestPipeline ingest(*buffer, "sensors.readings");
  std::vector<Reading> readings;
  for (int i = 0; i < 20'000; ++i) {
    Reading r = reading("dev-" + std::to_string(i % 5), i);
    r.ts_ns += i;
    r.tags = {{"n", std::to_string(i)}, {"pad", std::string(600, 'p')}};
    readings.push_back(std::move(r));
  }
  const auto expected = expected_records(readings);
  // Kafka is down: about 15 MiB of readings fill the disk, the buffer gives its reserve back.
  for (std::size_t first = 0; first < readings.size(); first += 500) {
    REQUIRE(ingest.submit({readings.begin() + first, readings.begin() + first + 500}).ok());
  }
  const auto reserve = options.path.string() + ".reserve";
  REQUIRE(testing::wait_until([&] { return !std::filesystem::exists(reserve); }));
  CHECK(ingest.counters().committed < readings.size());
  // Kafka returns: delivered rows are deleted although the disk is full, and the held readings
  // follow as room comes back.
  std::vector<buffer::StoredRecord> stored;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (stored.size() < readings.size() && std::chrono::steady_clock::now() < give_up) {
    drain(*buffer, stored);
    const auto before = ingest.counters().committed;
    (void)testing::wait_until([&] { return ingest.counters().committed > before; },
                              std::chrono::milliseconds(200));
  }
  REQUIRE(stored.size() == readings.size());
  check_same_records(stored, expected);
  CHECK(buffer->stats()->pending == 0);
  CHECK(buffer->stats()->dropped_total == 0);
  CHECK(testing::wait_until([&] { return std::filesystem::exists(reserve); }));
  ingest.stop(std::chrono::seconds(5));
}

}  // namespace
}  // namespace sensorgate::gateway
