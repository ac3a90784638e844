// Schema version 4's aggregates (buffer/schema.hpp): the pending totals are the sums of the
// per-topic rows, and totals' last_seq is written only by transactions that take rows out, so a
// commit of appends alone writes no totals page. A seq is never reused all the same.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

// Runs `sql` on the file (closed or open: WAL readers see the committed state) and returns the
// first column of its first row; -1 when it returns no row.
std::int64_t query_file(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  const int code = sqlite3_step(statement);
  const std::int64_t value = code == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
  sqlite3_finalize(statement);
  sqlite3_close(db);
  REQUIRE((code == SQLITE_ROW || code == SQLITE_DONE));
  return value;
}

void exec_file(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(code == SQLITE_OK);
}

constexpr const char* kLastSeq = "SELECT value FROM totals WHERE name = 'last_seq'";

TEST_CASE("appends alone leave totals' last_seq, and the seqs go on above them after a reopen") {
  TempDir dir;
  const auto options = options_in(dir);
  std::int64_t last = 0;
  {
    auto buffer = open_buffer(options);
    REQUIRE(buffer->append(make_records("d", 0, 5)).ok());
    const auto range = buffer->append(make_records("d", 5, 3));
    REQUIRE(range.ok());
    last = range->last;
    CHECK(query_file(options.path, kLastSeq) == 0);
  }
  auto buffer = open_buffer(options);
  const auto range = buffer->append(make_records("d", 8, 1));
  REQUIRE(range.ok());
  CHECK(range->first == last + 1);
}

TEST_CASE("a transaction that takes rows out records the highest seq handed out") {
  TempDir dir;
  const auto options = options_in(dir);
  auto buffer = open_buffer(options);
  REQUIRE(buffer->append(make_records("d", 0, 4)).ok());
  const auto newest = buffer->append(make_records("d", 4, 2));
  REQUIRE(newest.ok());
  // Only the oldest row leaves; the newer ones stay pending.
  const auto rows = read_all(*buffer);
  REQUIRE(rows.size() == 6);
  const std::int64_t oldest[] = {rows.front().seq};
  REQUIRE(buffer->mark_delivered(oldest).ok());
  REQUIRE(buffer->sync().ok());
  CHECK(query_file(options.path, kLastSeq) == newest->last);
}

TEST_CASE("the pending totals are the per-topic rows' sums, also across topics and deliveries") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  std::vector<buffer::Record> records{make_record("boiler-1", 1, "plant.boilers"),
                                      make_record("boiler-2", 2, "plant.boilers"),
                                      make_record("hall-1", 3, "plant.climate")};
  REQUIRE(buffer->append(records).ok());
  const auto rows = read_all(*buffer);
  const std::int64_t first[] = {rows.front().seq};
  REQUIRE(buffer->mark_delivered(first).ok());
  REQUIRE(buffer->sync().ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 2);
  CHECK(stats->pending_bytes == records[1].topic.size() + records[1].key.size() +
                                    records[1].value.size() + records[2].topic.size() +
                                    records[2].key.size() + records[2].value.size());
  std::uint64_t by_topic = 0;
  for (const auto& topic : stats->by_topic) by_topic += topic.pending;
  CHECK(by_topic == stats->pending);
}

TEST_CASE("a buffer of schema version 3 is upgraded in place: its pending totals rows go") {
  TempDir dir;
  const auto options = options_in(dir);
  std::int64_t last = 0;
  std::uint64_t pending_bytes = 0;
  {
    auto buffer = open_buffer(options);
    REQUIRE(buffer->append(make_records("d", 0, 6)).ok());
    const auto range = buffer->append(make_records("e", 0, 3));
    REQUIRE(range.ok());
    last = range->last;
    const auto rows = read_all(*buffer);
    const std::int64_t two[] = {rows[0].seq, rows[1].seq};
    REQUIRE(buffer->mark_delivered(two).ok());
    REQUIRE(buffer->sync().ok());
    pending_bytes = buffer->stats()->pending_bytes;
  }
  // Version 3 differs from 4 only by these totals rows, kept in step by its writer.
  exec_file(options.path,
            "INSERT INTO totals(name, value) VALUES('pending', 7), ('pending_bytes', " +
                std::to_string(pending_bytes) + "); PRAGMA user_version = 3;");
  REQUIRE(query_file(options.path, "PRAGMA user_version") == 3);

  auto buffer = open_buffer(options);
  CHECK(query_file(options.path, "PRAGMA user_version") == 4);
  CHECK(query_file(options.path,
                   "SELECT count(*) FROM totals WHERE name IN ('pending', "
                   "'pending_bytes')") == 0);
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 7);
  CHECK(stats->pending_bytes == pending_bytes);
  const auto range = buffer->append(make_records("d", 6, 1));
  REQUIRE(range.ok());
  CHECK(range->first == last + 1);
}

TEST_CASE("per-topic rows that disagree with the segments get the file quarantined at open") {
  TempDir dir;
  const auto options = options_in(dir);
  {
    auto buffer = open_buffer(options);
    REQUIRE(buffer->append(make_records("d", 0, 5)).ok());
  }
  // What pages of another database's WAL would do: the counts no longer match the records.
  exec_file(options.path,
            "UPDATE group_stats SET pending = pending + 3 WHERE name_id IN (SELECT id FROM names "
            "WHERE kind = 0)");
  auto buffer = open_buffer(options);
  CHECK(buffer->stats()->pending == 0);  // a fresh file
  const auto quarantined = buffer::list_quarantined(options.path);
  REQUIRE(quarantined.size() == 1);
  CHECK_THAT(quarantined.front().detail, Catch::Contains("8 pending rows, its records hold 5"));
}

}  // namespace
}  // namespace sensorgate::testing
