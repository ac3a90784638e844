// Schema version 3 packs many readings into one row (buffer/segment.hpp): what is delivered out
// of a segment before the rest stays delivered across a reopen, and a file of version 2 (one row
// per reading) is upgraded in place without losing or changing a reading.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <map>

#include "buffer/buffer.hpp"
#include "buffer/segment.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "version2_file.hpp"

namespace sensorgate::testing {
namespace {

std::int64_t count_rows(const std::filesystem::path& path, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  const std::string sql = "SELECT count(*) FROM " + table;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(select) == SQLITE_ROW);
  const std::int64_t rows = sqlite3_column_int64(select, 0);
  sqlite3_finalize(select);
  sqlite3_close(db);
  return rows;
}

std::vector<std::int64_t> seqs_of(const std::vector<buffer::StoredRecord>& records) {
  std::vector<std::int64_t> seqs;
  for (const auto& record : records) seqs.push_back(record.seq);
  return seqs;
}

TEST_CASE("a segment's encoding gives back every record, times going back included") {
  buffer::SegmentWriter writer;
  const std::string large(5000, 'v');
  const std::vector<buffer::SegmentRecord> records = {
      {1, 2, 1'700'000'000'000'000'000, "{\"a\":1}"},
      {1, 300, 1'699'999'999'000'000'000, ""},  // earlier than the one before
      {70000, 2, -5, std::string_view("\0x", 2)},
      {1, 2, INT64_MAX, large},
      {1, 2, INT64_MIN, "last"}};
  for (const auto& record : records) {
    writer.add(record.topic_id, record.device_id, record.ts_ns, record.value);
  }
  buffer::SegmentReader reader(writer.data());
  buffer::SegmentRecord read;
  for (const auto& record : records) {
    REQUIRE(reader.next(read));
    CHECK(read.topic_id == record.topic_id);
    CHECK(read.device_id == record.device_id);
    CHECK(read.ts_ns == record.ts_ns);
    CHECK(read.value == record.value);
  }
  CHECK_FALSE(reader.next(read));
  CHECK_FALSE(reader.failed());
  // Cut short, the data is malformed, not shorter.
  buffer::SegmentReader cut(writer.data().substr(0, writer.data().size() - 2));
  int complete = 0;
  while (cut.next(read)) ++complete;
  CHECK(complete == 4);
  CHECK(cut.failed());
}

TEST_CASE("a segment holds at most kSegmentRecords records and kSegmentBytes of data") {
  buffer::SegmentWriter writer;
  CHECK(writer.has_room_for(2 * buffer::kSegmentBytes));  // an empty one takes any record
  for (std::size_t i = 0; i < buffer::kSegmentRecords; ++i) writer.add(1, 1, 0, "v");
  CHECK_FALSE(writer.has_room_for(1));
  writer.clear();
  writer.add(1, 1, 0, std::string(buffer::kSegmentBytes - 100, 'v'));
  CHECK(writer.has_room_for(50));
  CHECK_FALSE(writer.has_room_for(200));
}

TEST_CASE("a segment with an impossible record count is reported as damage and not read") {
  for (const char* count : {"0", "-3", "1099511627776"}) {
    TempDir dir;
    const auto path = dir / "buffer.db";
    {
      auto buffer = open_buffer(options_in(dir));
      REQUIRE(buffer->append(make_records("d", 0, 3)).ok());
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string sql = std::string("UPDATE segments SET count = ") + count;
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto options = options_in(dir);
    options.quick_check_budget = std::chrono::milliseconds(0);
    auto buffer = open_buffer(options);
    const auto batch = buffer->next_batch(10);
    INFO("count " << count);
    REQUIRE_FALSE(batch.ok());
    CHECK(batch.error().code == buffer::BufferError::kCorrupt);
    CHECK_THAT(batch.error().message, Catch::Contains("impossible record count"));
    CHECK_THAT(batch.error().message, Catch::EndsWith(": database disk image is malformed"));
  }
}

TEST_CASE("rows delivered out of a segment stay delivered after reopening, and the rest is sent") {
  TempDir dir;
  const auto options = options_in(dir);
  std::vector<std::int64_t> odd, even;
  {
    auto buffer = open_buffer(options);
    REQUIRE(buffer->append(make_records("d", 0, 1000)).ok());  // four segments
    const auto batch = buffer->next_batch(1000);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == 1000);
    for (const auto& record : *batch) (record.seq % 2 == 1 ? odd : even).push_back(record.seq);
    REQUIRE(buffer->mark_delivered(odd).ok());
    REQUIRE(buffer->sync().ok());
    CHECK(buffer->stats()->pending == 500);
  }
  CHECK(count_rows(options.path, "segment_progress") == 4);
  auto buffer = open_buffer(options);
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 500);
  CHECK(stats->delivered_total == 500);
  REQUIRE(stats->by_device.size() == 1);
  CHECK(stats->by_device[0].pending == 500);
  CHECK(stats->by_device[0].pending_bytes == stats->pending_bytes);
  const auto rest = read_all(*buffer);
  CHECK(seqs_of(rest) == even);
  for (const auto& record : rest) {
    CHECK(record.record.value == make_record("d", static_cast<int>(record.seq - 1)).value);
  }
  // A batch smaller than a segment resumes inside it.
  std::vector<std::int64_t> handed_out;
  for (int round = 0; round < 100; ++round) {
    const auto batch = buffer->next_batch(7);
    REQUIRE(batch.ok());
    if (batch->empty()) break;
    CHECK(batch->size() <= 7);
    const auto seqs = seqs_of(*batch);
    handed_out.insert(handed_out.end(), seqs.begin(), seqs.end());
  }
  CHECK(handed_out == even);
  REQUIRE(buffer->mark_delivered(even).ok());
  REQUIRE(buffer->sync().ok());
  CHECK(buffer->stats()->pending == 0);
  CHECK(buffer->stats()->pending_bytes == 0);
  CHECK(count_rows(options.path, "segments") == 0);
  CHECK(count_rows(options.path, "segment_progress") == 0);
}

TEST_CASE("the oldest and newest pending times skip what was delivered out of the end segments") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
  const auto batch = buffer->next_batch(10);
  REQUIRE(batch.ok());
  const std::vector<std::int64_t> ends = {batch->front().seq, batch->back().seq};
  REQUIRE(buffer->mark_delivered(ends).ok());
  REQUIRE(buffer->sync().ok());
  const auto stats = buffer::read_backlog(dir / "buffer.db");
  REQUIRE(stats.ok());
  CHECK(stats->pending == 8);
  CHECK(stats->oldest_ts_ns == make_record("d", 1).ts_ns);
  CHECK(stats->newest_ts_ns == make_record("d", 8).ts_ns);
}

TEST_CASE(
    "a buffer of schema version 2 is upgraded in place: every reading keeps seq and content") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  std::vector<Version2Record> old;
  for (std::int64_t seq = 1; seq <= 700; ++seq) {
    if ((seq >= 100 && seq < 150) || seq == 400 || seq > 650) continue;  // delivered already
    old.push_back(Version2Record{
        seq, seq % 3 == 0 ? "alerts" : "sensors.readings", "device-" + std::to_string(seq % 5),
        1'700'000'000'000'000'000 - seq * 1000, "{\"n\":" + std::to_string(seq) + "}"});
  }
  make_version2_file(path, old, /*last_seq=*/700);

  const auto before = buffer::read_backlog(path);
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().code == buffer::BufferError::kTooNew);
  CHECK(before.error().message == "buffer file " + path.string() +
                                      " has schema version 2, older than this sensorgate (4); "
                                      "start the daemon once (sensorgate run) to upgrade it");

  auto buffer = open_buffer(buffer::Options{.path = path});
  const auto all = read_all(*buffer);
  REQUIRE(all.size() == old.size());
  std::uint64_t bytes = 0;
  std::map<std::string, std::uint64_t> by_device;
  for (std::size_t i = 0; i < old.size(); ++i) {
    CHECK(all[i].seq == old[i].seq);
    CHECK(all[i].record.topic == old[i].topic);
    CHECK(all[i].record.key == old[i].device);
    CHECK(all[i].record.ts_ns == old[i].ts_ns);
    CHECK(all[i].record.value == old[i].value);
    bytes += old[i].topic.size() + old[i].device.size() + old[i].value.size();
    ++by_device[old[i].device];
  }
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == old.size());
  CHECK(stats->pending_bytes == bytes);
  CHECK(stats->oldest_ts_ns == old.front().ts_ns);
  CHECK(stats->newest_ts_ns == old.back().ts_ns);
  REQUIRE(stats->by_device.size() == by_device.size());
  for (const auto& device : stats->by_device) CHECK(device.pending == by_device[device.name]);
  // New readings go on above every seq the old file handed out.
  const auto appended = buffer->append(make_records("d", 0, 3));
  REQUIRE(appended.ok());
  CHECK(appended->first == 701);
  // Deliveries of upgraded rows work as for new ones.
  std::vector<std::int64_t> delivered;
  for (const auto& record : all) delivered.push_back(record.seq);
  REQUIRE(buffer->mark_delivered(delivered).ok());
  REQUIRE(buffer->sync().ok());
  CHECK(buffer->stats()->pending == 3);
  const auto after = buffer::read_backlog(path);
  REQUIRE(after.ok());
  CHECK(after->pending == 3);
  CHECK(after->delivered_total == old.size());
}

TEST_CASE("an empty buffer of schema version 2 keeps its last seq through the upgrade") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_version2_file(path, {}, /*last_seq=*/41);
  auto buffer = open_buffer(buffer::Options{.path = path});
  const auto appended = buffer->append(make_records("d", 0, 1));
  REQUIRE(appended.ok());
  CHECK(appended->first == 42);
}

}  // namespace
}  // namespace sensorgate::testing
