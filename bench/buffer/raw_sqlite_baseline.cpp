#include "raw_sqlite_baseline.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace sensorgate::bench {
namespace {

void check(int code, sqlite3* db, const char* what) {
  if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double raw_insert(const std::filesystem::path& path, const std::vector<buffer::Record>& records,
                  std::size_t rows_per_commit) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE records(seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT, "
                     "key TEXT, ts_ns INTEGER, value BLOB)",
                     nullptr, nullptr, nullptr),
        db, "schema");
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v2(db, "INSERT INTO records(topic, key, ts_ns, value) VALUES(?,?,?,?)", -1,
                           &insert, nullptr),
        db, "prepare");
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < records.size(); i += rows_per_commit) {
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    for (std::size_t j = i; j < std::min(records.size(), i + rows_per_commit); ++j) {
      const auto& record = records[j];
      sqlite3_bind_text(insert, 1, record.topic.data(), static_cast<int>(record.topic.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert, 2, record.key.data(), static_cast<int>(record.key.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(insert, 3, record.ts_ns);
      sqlite3_bind_blob(insert, 4, record.value.data(), static_cast<int>(record.value.size()),
                        SQLITE_STATIC);
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  const double seconds = seconds_since(start);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return seconds;
}

double raw_drain(const std::filesystem::path& path, std::size_t batch_rows,
                 std::size_t rows_per_commit, std::size_t& drained) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  check(sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr), db, "pragma");
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* remove = nullptr;
  check(sqlite3_prepare_v2(db,
                           "SELECT seq, topic, key, ts_ns, value FROM records WHERE seq > ? "
                           "ORDER BY seq LIMIT ?",
                           -1, &select, nullptr),
        db, "prepare");
  check(
      sqlite3_prepare_v2(db, "DELETE FROM records WHERE seq BETWEEN ? AND ?", -1, &remove, nullptr),
      db, "prepare");
  drained = 0;
  std::size_t uncommitted = 0;
  sqlite3_int64 cursor = 0;
  std::string sink;
  const auto start = std::chrono::steady_clock::now();
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
  for (;;) {
    sqlite3_bind_int64(select, 1, cursor);
    sqlite3_bind_int64(select, 2, static_cast<sqlite3_int64>(batch_rows));
    sqlite3_int64 first = 0, last = 0;
    std::size_t rows = 0;
    while (sqlite3_step(select) == SQLITE_ROW) {
      last = sqlite3_column_int64(select, 0);
      if (rows++ == 0) first = last;
      // Copy what a forwarder would send, as the buffer does.
      sink.assign(reinterpret_cast<const char*>(sqlite3_column_text(select, 1)));
      sink.assign(reinterpret_cast<const char*>(sqlite3_column_text(select, 2)));
      sink.assign(static_cast<const char*>(sqlite3_column_blob(select, 4)),
                  static_cast<std::size_t>(sqlite3_column_bytes(select, 4)));
    }
    sqlite3_reset(select);
    if (rows == 0) break;
    cursor = last;
    sqlite3_bind_int64(remove, 1, first);
    sqlite3_bind_int64(remove, 2, last);
    check(sqlite3_step(remove), db, "delete");
    sqlite3_reset(remove);
    drained += rows;
    uncommitted += rows;
    if (uncommitted >= rows_per_commit) {
      check(sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), db, "commit");
      uncommitted = 0;
    }
  }
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  const double seconds = seconds_since(start);
  sqlite3_finalize(select);
  sqlite3_finalize(remove);
  sqlite3_close(db);
  return seconds;
}

}  // namespace sensorgate::bench
