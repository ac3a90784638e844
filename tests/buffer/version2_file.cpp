#include "version2_file.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <map>

namespace sensorgate::testing {
namespace {

// What sensorgate's schema version 2 created (buffer/schema.cpp before version 3).
constexpr const char* kVersion2Schema = R"sql(
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
BEGIN IMMEDIATE;
CREATE TABLE names(
  id INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  UNIQUE(kind, name));
CREATE TABLE records(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic_id INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  value BLOB NOT NULL);
CREATE TABLE group_stats(
  name_id INTEGER PRIMARY KEY,
  pending INTEGER NOT NULL,
  pending_bytes INTEGER NOT NULL);
CREATE TABLE totals(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO totals(name, value) VALUES
  ('pending', 0), ('pending_bytes', 0), ('delivered', 0), ('dropped', 0), ('dead_lettered', 0);
CREATE TABLE dead_letters(
  seq INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  ts_ns INTEGER NOT NULL,
  value BLOB NOT NULL,
  error TEXT NOT NULL,
  failed_at_ns INTEGER NOT NULL);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts_ns INTEGER NOT NULL,
  rule TEXT NOT NULL,
  device TEXT NOT NULL,
  metric TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL,
  value REAL,
  threshold REAL,
  message TEXT NOT NULL,
  raised_at_ns INTEGER NOT NULL DEFAULT 0);
CREATE INDEX alerts_by_series ON alerts(rule, device, metric, id);
CREATE INDEX alerts_by_time ON alerts(ts_ns);
CREATE INDEX alerts_by_raised ON alerts(raised_at_ns);
PRAGMA application_id = 1397178950;
PRAGMA user_version = 2;
COMMIT;
)sql";

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO(sql << ": " << (message != nullptr ? message : ""));
  sqlite3_free(message);
  REQUIRE(code == SQLITE_OK);
}

}  // namespace

void make_version2_file(const std::filesystem::path& path,
                        const std::vector<Version2Record>& records, std::int64_t last_seq) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec(db, kVersion2Schema);
  exec(db, "BEGIN");
  std::map<std::pair<int, std::string>, std::int64_t> ids;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> pending_by_name;
  auto id_of = [&](int kind, const std::string& name) {
    auto [found, added] = ids.emplace(std::make_pair(kind, name), ids.size() + 1);
    if (added) {
      exec(db, "INSERT INTO names(id, kind, name) VALUES(" + std::to_string(found->second) + ", " +
                   std::to_string(kind) + ", '" + name + "')");
    }
    return found->second;
  };
  sqlite3_stmt* insert = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "INSERT INTO records(seq, topic_id, device_id, ts_ns, bytes, value) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                             -1, &insert, nullptr) == SQLITE_OK);
  std::int64_t pending_bytes = 0;
  for (const Version2Record& record : records) {
    const std::int64_t topic = id_of(0, record.topic);
    const std::int64_t device = id_of(1, record.device);
    const auto bytes =
        static_cast<std::int64_t>(record.topic.size() + record.device.size() + record.value.size());
    sqlite3_bind_int64(insert, 1, record.seq);
    sqlite3_bind_int64(insert, 2, topic);
    sqlite3_bind_int64(insert, 3, device);
    sqlite3_bind_int64(insert, 4, record.ts_ns);
    sqlite3_bind_int64(insert, 5, bytes);
    sqlite3_bind_blob(insert, 6, record.value.data(), static_cast<int>(record.value.size()),
                      SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(insert) == SQLITE_DONE);
    sqlite3_reset(insert);
    for (const std::int64_t id : {topic, device}) {
      pending_by_name[id].first += 1;
      pending_by_name[id].second += bytes;
    }
    pending_bytes += bytes;
  }
  sqlite3_finalize(insert);
  for (const auto& [id, counts] : pending_by_name) {
    exec(db, "INSERT INTO group_stats VALUES(" + std::to_string(id) + ", " +
                 std::to_string(counts.first) + ", " + std::to_string(counts.second) + ")");
  }
  exec(db,
       "UPDATE totals SET value = " + std::to_string(records.size()) +
           " WHERE name = 'pending'; UPDATE totals SET value = " + std::to_string(pending_bytes) +
           " WHERE name = 'pending_bytes'; DELETE FROM "
           "sqlite_sequence WHERE name = 'records'; INSERT INTO sqlite_sequence(name, seq) "
           "VALUES('records', " +
           std::to_string(last_seq) + "); COMMIT");
  REQUIRE(sqlite3_close(db) == SQLITE_OK);
}

}  // namespace sensorgate::testing
