// The sink in front of the ingest pipeline: readings a source cannot resend and the pipeline
// did not take are recorded in the buffer's dropped_by_reason with their reason.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "gateway/daemon/ingest.hpp"
#include "gateway/daemon/loss_recording_sink.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::gateway {
namespace {

using testing::TempDir;

std::unique_ptr<buffer::Buffer> open_buffer(const TempDir& dir) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  auto opened = buffer::Buffer::open(options);
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

std::vector<Reading> readings(int count) {
  std::vector<Reading> out;
  for (int i = 0; i < count; ++i) {
    Reading r;
    r.device = "dev";
    r.metric = "temp";
    r.value = static_cast<double>(i);
    r.ts_ns = 1'700'000'000'000'000'000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, std::uint64_t> dropped_by_reason(buffer::Buffer& buffer) {
  const auto stats = buffer.stats();
  REQUIRE(stats.ok());
  return stats->dropped_by_reason;
}

TEST_CASE("readings submitted while the gateway stops are recorded as dropped (stopping)") {
  TempDir dir;
  auto buffer = open_buffer(dir);
  IngestPipeline ingest(*buffer, "sensors.readings");
  LossRecordingSink sink(ingest, *buffer);
  REQUIRE(sink.submit(readings(5)).ok());
  ingest.stop(std::chrono::seconds(5));

  const auto refused = sink.submit(readings(7));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == adapters::IngestError::kStopping);
  CHECK(dropped_by_reason(*buffer) == std::map<std::string, std::uint64_t>{{"stopping", 7}});
  CHECK(buffer->stats()->pending == 5);
}

TEST_CASE("a failed submit_and_wait is no loss: its source is told and keeps the readings") {
  TempDir dir;
  auto buffer = open_buffer(dir);
  IngestPipeline ingest(*buffer, "sensors.readings");
  LossRecordingSink sink(ingest, *buffer);
  ingest.stop(std::chrono::seconds(5));
  REQUIRE_FALSE(sink.submit_and_wait(readings(3)).ok());
  CHECK(dropped_by_reason(*buffer).empty());
}

TEST_CASE(
    "readings committed before an acknowledgement and dead letters pass through to the "
    "pipeline") {
  TempDir dir;
  auto buffer = open_buffer(dir);
  IngestPipeline ingest(*buffer, "sensors.readings");
  LossRecordingSink sink(ingest, *buffer);
  REQUIRE(sink.submit_and_wait_retrying(readings(4), std::chrono::milliseconds(100)).ok());
  REQUIRE(sink.dead_letter("plant/a/telemetry", "{\"boom\"", "poison: test").ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 4);
  CHECK(stats->dead_letter_total == 1);
  ingest.stop(std::chrono::seconds(5));
  // Refused at stop: the source keeps them (no acknowledgement), so no loss is recorded.
  REQUIRE_FALSE(sink.submit_and_wait_retrying(readings(2), std::chrono::milliseconds(100)).ok());
  CHECK(dropped_by_reason(*buffer).empty());
}

// The pipeline holds and retries what submit() queued, so it never answers kFailed today; a
// sink that fails as a commit would stands in for one that does.
class FailingSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading>) override { return fail(); }
  Status<adapters::IngestError> submit(std::vector<Reading>) override { return fail(); }

 private:
  static Status<adapters::IngestError> fail() {
    return make_error(adapters::IngestError::kFailed, "disk I/O error");
  }
};

TEST_CASE("readings whose commit failed after submit are recorded as dropped (commit_failed)") {
  TempDir dir;
  auto buffer = open_buffer(dir);
  FailingSink failing;
  LossRecordingSink sink(failing, *buffer);
  const auto failed = sink.submit(readings(4));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message == "disk I/O error");
  CHECK(dropped_by_reason(*buffer) == std::map<std::string, std::uint64_t>{{"commit_failed", 4}});
  CHECK(buffer->stats()->dropped_total == 4);
}

}  // namespace
}  // namespace sensorgate::gateway
