// The files on disk follow the backlog: the WAL is cut back and freed pages are returned once
// the writer is idle, also while statistics readers come and go; so does the memory.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

std::uintmax_t size_or_zero(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// Appends `appends` times `per_append` records of about 220 bytes over 10 devices.
void append_large_records(buffer::Buffer& buffer, int appends, int per_append) {
  for (int i = 0; i < appends; ++i) {
    std::vector<buffer::Record> records;
    for (int n = 0; n < per_append; ++n) {
      records.push_back(
          buffer::Record{"t", "d" + std::to_string(n % 10), n, std::string(200, 'v')});
    }
    REQUIRE(buffer.append(records).ok());
  }
}

// Reads and reports delivered every pending row, `batch_rows` at a time; returns how many.
std::size_t drain(buffer::Buffer& buffer, std::size_t batch_rows) {
  std::size_t drained = 0;
  for (int rounds = 0; rounds < 1000; ++rounds) {
    const auto batch = buffer.next_batch(batch_rows);
    REQUIRE(batch.ok());
    if (batch->empty()) break;
    std::vector<std::int64_t> seqs;
    for (const auto& row : *batch) seqs.push_back(row.seq);
    REQUIRE(buffer.mark_delivered(seqs).ok());
    drained += seqs.size();
  }
  return drained;
}

TEST_CASE(
    "after a drained backlog the WAL is truncated and the file shrinks, despite stats readers") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  buffer::Options options;
  options.path = path;
  options.commit_interval = std::chrono::milliseconds(2);
  auto buffer = open_buffer(options);

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      if (buffer::read_backlog(path).ok()) ++reads;
    }
  });
  append_large_records(*buffer, 100, 500);
  const auto peak = size_or_zero(path) + size_or_zero(path.string() + "-wal");
  const std::size_t drained = drain(*buffer, 1000);
  REQUIRE(buffer->sync().ok());
  stop = true;
  reader.join();
  CHECK(drained == 50'000);
  CHECK(reads > 0);
  CHECK(peak > 10'000'000);

  const bool wal_truncated = wait_until([&] { return size_or_zero(path.string() + "-wal") == 0; },
                                        std::chrono::seconds(20));
  CHECK(wal_truncated);
  const bool shrunk =
      wait_until([&] { return size_or_zero(path) < peak / 4; }, std::chrono::seconds(20));
  INFO("peak " << peak << " bytes, now " << size_or_zero(path));
  CHECK(shrunk);
}

TEST_CASE("after a drained backlog the idle writer empties the page caches") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  sqlite3_int64 used = 0, peak = 0;
  sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &peak, /*resetFlag=*/1);
  append_large_records(*buffer, 50, 1000);
  CHECK(drain(*buffer, 5000) == 50'000);
  REQUIRE(buffer->sync().ok());
  sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &peak, /*resetFlag=*/0);
  // Filling and draining 50,000 rows (11 MB) touched more pages than the caches hold.
  CHECK(peak > 8'000'000);
  const bool released = wait_until(
      [&] {
        sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &peak, /*resetFlag=*/0);
        return used < 1'000'000;
      },
      std::chrono::seconds(20));
  INFO("SQLite memory in use " << used << " bytes, peak " << peak);
  CHECK(released);
  // Released, the caches fill again: the buffer works as before.
  REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
  CHECK(read_all(*buffer).size() == 10);
}

TEST_CASE("a row dead-lettered and then also reported delivered is counted once") {
  TempDir dir;
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  auto buffer = open_buffer(options);
  REQUIRE(buffer->append(make_records("d", 0, 5)).ok());
  REQUIRE(buffer->append(make_records("e", 0, 5)).ok());
  const auto batch = buffer->next_batch(3);
  REQUIRE(batch.ok());
  REQUIRE(buffer->dead_letter((*batch)[1].seq, "boom").ok());
  REQUIRE(buffer->sync().ok());
  std::vector<std::int64_t> seqs;
  for (const auto& row : *batch) seqs.push_back(row.seq);
  REQUIRE(buffer->mark_delivered(seqs).ok());
  REQUIRE(buffer->sync().ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 7);
  CHECK(stats->delivered_total == 2);
  CHECK(stats->dead_letter_total == 1);
  REQUIRE(stats->by_device.size() == 2);
  CHECK(stats->by_device[0].pending == 2);
  CHECK(stats->by_device[1].pending == 5);
}

}  // namespace
}  // namespace sensorgate::testing
