// The byte cap: drop_oldest and reject, and a full disk.
#include <catch2/catch.hpp>

#include <map>
#include <span>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

buffer::Options capped(const TempDir& dir, buffer::OnFull on_full, std::uint64_t max_bytes) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  options.on_full = on_full;
  options.max_bytes = Bytes{max_bytes};
  return options;
}

std::uint64_t bytes_of(const buffer::Record& record) {
  return record.topic.size() + record.key.size() + record.value.size();
}

TEST_CASE("drop_oldest keeps pending bytes under the cap by dropping the oldest rows") {
  TempDir dir;
  const std::uint64_t row_bytes = bytes_of(make_record("d", 100));
  auto buffer = open_buffer(capped(dir, buffer::OnFull::kDropOldest, row_bytes * 50));
  for (int i = 0; i < 10; ++i) REQUIRE(buffer->append(make_records("d", 100 + i * 10, 10)).ok());

  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending_bytes <= row_bytes * 50);
  CHECK(stats->pending + stats->dropped_total == 100);
  CHECK(stats->dropped_total >= 50);
  // What is left is the newest rows, in order, ending with the last one appended.
  const auto left = read_all(*buffer);
  REQUIRE(left.size() == stats->pending);
  CHECK(left.back().record.value == make_record("d", 199).value);
  for (std::size_t i = 1; i < left.size(); ++i) CHECK(left[i].seq == left[i - 1].seq + 1);
}

TEST_CASE("drop_oldest leaves rows already handed to the forwarder alone") {
  TempDir dir;
  const std::uint64_t row_bytes = bytes_of(make_record("d", 100));
  auto buffer = open_buffer(capped(dir, buffer::OnFull::kDropOldest, row_bytes * 20));
  REQUIRE(buffer->append(make_records("d", 100, 10)).ok());
  const auto in_flight = buffer->next_batch(5);
  REQUIRE(in_flight.ok());
  REQUIRE(buffer->append(make_records("d", 200, 20)).ok());
  const auto left = read_all(*buffer);
  REQUIRE(left.size() >= 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(left[i].seq == (*in_flight)[i].seq);
  CHECK(left.back().record.value == make_record("d", 219).value);
}

TEST_CASE("reject refuses a whole append at the cap with a distinct error and stores none of it") {
  TempDir dir;
  const std::uint64_t row_bytes = bytes_of(make_record("d", 100));
  auto buffer = open_buffer(capped(dir, buffer::OnFull::kReject, row_bytes * 15));
  REQUIRE(buffer->append(make_records("d", 100, 10)).ok());
  const auto refused = buffer->append(make_records("d", 110, 10));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == buffer::BufferError::kFull);
  CHECK(refused.error().message == "buffer is full (" + format_bytes(Bytes{row_bytes * 15}) +
                                       " pending, buffer.on_full: reject); nothing was stored");
  CHECK(buffer->stats()->pending == 10);
  CHECK(buffer->stats()->dropped_total == 0);

  // Once Kafka took some rows, appends are accepted again.
  const auto batch = buffer->next_batch(10);
  std::vector<std::int64_t> seqs;
  for (const auto& record : *batch) seqs.push_back(record.seq);
  REQUIRE(buffer->mark_delivered(seqs).ok());
  REQUIRE(buffer->sync().ok());
  CHECK(buffer->append(make_records("d", 110, 10)).ok());
}

TEST_CASE(
    "a full disk fails the append with an I/O error, stores nothing and keeps the buffer usable") {
  TempDir dir;
  auto options = capped(dir, buffer::OnFull::kDropOldest, 1ull << 30);
  options.max_page_count = 64;  // 256 KiB at 4 KiB pages
  auto buffer = open_buffer(options);
  REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
  std::vector<buffer::Record> huge;
  for (int i = 0; i < 200; ++i) {
    huge.push_back(buffer::Record{"t", "d", i, std::string(4000, 'x')});
  }
  const auto failed = buffer->append(huge);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == buffer::BufferError::kIo);
  CHECK_THAT(failed.error().message, Catch::Contains("database or disk is full"));
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 10);
  CHECK(buffer->append(make_records("d", 10, 1)).ok());
  CHECK(read_all(*buffer).size() == 11);
}

TEST_CASE("deliveries commit apart from an append that fails on a full disk") {
  TempDir dir;
  auto options = capped(dir, buffer::OnFull::kDropOldest, 1ull << 30);
  options.max_page_count = 64;
  options.commit_interval = std::chrono::milliseconds(200);  // both land in one group
  auto buffer = open_buffer(options);
  REQUIRE(buffer->append(make_records("d", 0, 100)).ok());
  const auto batch = buffer->next_batch(100);
  REQUIRE(batch.ok());
  std::vector<std::int64_t> seqs;
  for (const auto& row : *batch) seqs.push_back(row.seq);
  REQUIRE(buffer->mark_delivered(seqs).ok());
  std::vector<buffer::Record> huge;
  for (int i = 0; i < 200; ++i) huge.push_back(buffer::Record{"t", "d", i, std::string(4000, 'x')});
  const auto failed = buffer->append(huge);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains("database or disk is full"));
  REQUIRE(buffer->sync().ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 0);
  CHECK(stats->delivered_total == 100);
}

TEST_CASE("reject stores the prefix that fits when asked to, and at least one record") {
  TempDir dir;
  const std::uint64_t row_bytes = bytes_of(make_record("d", 100));
  auto buffer = open_buffer(capped(dir, buffer::OnFull::kReject, row_bytes * 15));
  const auto records = make_records("d", 100, 40);
  const auto first = buffer->append_some(records, {}, buffer::AtCap::kStoreWhatFits);
  REQUIRE(first.ok());
  CHECK(first->stored == 15);
  const auto none =
      buffer->append_some(std::span(records).subspan(15), {}, buffer::AtCap::kStoreWhatFits);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == buffer::BufferError::kFull);
  const auto all =
      buffer->append_some(std::span(records).subspan(15), {}, buffer::AtCap::kStoreAll);
  REQUIRE(all.ok());
  CHECK(all->stored == 25);
  CHECK(buffer->stats()->pending == 40);

  // A record larger than the whole cap goes in alone once nothing is pending, never stalls.
  TempDir other;
  auto small = open_buffer(capped(other, buffer::OnFull::kReject, 10));
  const auto big = small->append_some(make_records("d", 0, 3), {}, buffer::AtCap::kStoreWhatFits);
  REQUIRE(big.ok());
  CHECK(big->stored == 1);
}

TEST_CASE("record_dropped counts readings lost before the buffer, by reason, across reopening") {
  TempDir dir;
  {
    auto buffer = open_buffer(capped(dir, buffer::OnFull::kReject, 1ull << 30));
    REQUIRE(buffer->record_dropped(7, buffer::DropReason::kNotCommittedAtStop).ok());
  }
  auto buffer = open_buffer(capped(dir, buffer::OnFull::kReject, 1ull << 30));
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->dropped_total == 7);
  CHECK(stats->dropped_by_reason ==
        std::map<std::string, std::uint64_t>{{"not_committed_at_stop", 7}});
}

}  // namespace
}  // namespace sensorgate::testing
