// RAII owners of SQLite handles (connection, prepared statement) and the few helpers the buffer
// needs around them. One owner thread per connection, as SQLite is used here; the connection's
// cache of prepared statements alone is locked, so a stray use from another thread cannot
// corrupt it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "buffer/buffer.hpp"

namespace sensorgate::buffer {

// Maps an SQLite result code to the buffer's reason: corruption and "not a database" are kept
// apart from plain I/O failures so that open() can refuse to touch such a file.
BufferError buffer_error_of(int sqlite_code);

class Statement;

class Database {
 public:
  // Opens `path` with the SQLITE_OPEN_* `flags`; throws nothing, check error().
  Database(const std::filesystem::path& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  // The file as given to the constructor (a URI for the read-only checks).
  const std::string& path() const { return path_; }
  // The result code of the open (SQLITE_OK when it worked).
  int open_code() const { return open_code_; }

  // Runs one or more statements that return no rows of interest.
  Status<BufferError> exec(std::string_view sql);
  // Runs one statement that returns no rows (BEGIN IMMEDIATE), prepared once and reused: exec()
  // parses its text every time, ~6% of a one-record transaction's instructions.
  Status<BufferError> run(std::string_view sql);
  // The first column of the first row of a one-value query (e.g. a PRAGMA).
  Result<std::int64_t, BufferError> query_int(std::string_view sql);

 private:
  friend class Statement;
  // A statement prepared once and reused by every Statement of the same SQL text (parsing an
  // INSERT costs more than running it); `in_use` while a Statement holds it.
  struct Prepared {
    std::string sql;
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // The cached statement for `sql`, prepared on first use and marked in use; nullptr when it is
  // in use already (the caller prepares its own) or fails to prepare (`code` says why).
  sqlite3_stmt* take_prepared(std::string_view sql, int& code);
  void give_back(sqlite3_stmt* stmt);

  std::string path_;
  sqlite3* db_ = nullptr;
  int open_code_ = SQLITE_OK;
  std::mutex cache_mutex_;
  std::vector<Prepared> cache_;
};

// A prepared statement. Statements of the same SQL text on one connection share one prepared
// statement, which the destructor resets for the next; a second Statement of that text alive at
// the same time prepares (and finalizes) its own.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return stmt_ != nullptr; }
  int prepare_code() const { return prepare_code_; }

  // Binding is 1-based as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT) unless the
  // caller passes `copy = false` and keeps the memory alive until the next reset().
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text, bool copy = true);
  void bind_blob(int index, std::string_view bytes, bool copy = true);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  void reset();

  std::int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string_view column_text(int index) const;
  std::string_view column_blob(int index) const;

 private:
  Database* cached_in_ = nullptr;  // set when stmt_ belongs to the connection's cache
  sqlite3_stmt* stmt_ = nullptr;
  int prepare_code_ = SQLITE_OK;
};

// An Error naming what failed, SQLite's own words and the OS error behind them when there is one,
// e.g. "cannot write to buffer file /var/lib/sensorgate/buffer.db: disk I/O error (No space left
// on device)". When `what` does not name the file, "buffer file <path>: " goes first.
Error<BufferError> sqlite_error(const Database& db, int code, std::string_view what);

}  // namespace sensorgate::buffer
