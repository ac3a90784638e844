// The ingest pipeline between adapters and the buffer: readings become records, queued ones are
// committed, refusals at the cap are distinct, and what is queued at stop is committed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "buffer/buffer.hpp"
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

}  // namespace
}  // namespace sensorgate::gateway
