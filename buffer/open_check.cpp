#include "buffer/open_check.hpp"

#include <array>
#include <fstream>
#include <system_error>

#include "buffer/schema.hpp"
#include "buffer/sqlite.hpp"

namespace sensorgate::buffer {
namespace {

std::uint64_t size_of(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// application_id as the database file itself has it (header offset 68, big-endian), without
// SQLite and without any WAL: tells whether a file that fails its checks is ours to move.
std::int64_t raw_application_id(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::array<unsigned char, 72> header{};
  file.read(reinterpret_cast<char*>(header.data()), header.size());
  if (file.gcount() != static_cast<std::streamsize>(header.size())) return 0;
  return static_cast<std::int64_t>((std::uint32_t{header[68]} << 24) |
                                   (std::uint32_t{header[69]} << 16) |
                                   (std::uint32_t{header[70]} << 8) | std::uint32_t{header[71]});
}

struct Deadline {
  std::chrono::steady_clock::time_point at;
  bool hit = false;
};

int past_deadline(void* context) {
  auto* deadline = static_cast<Deadline*>(context);
  if (std::chrono::steady_clock::now() < deadline->at) return 0;
  deadline->hit = true;
  return 1;  // interrupts the statement
}

// prepare()'s message without the advice for a file left untouched: this one is moved.
std::string without_advice(std::string message) {
  const auto advice = message.find("; it was left untouched");
  if (advice != std::string::npos) message.resize(advice);
  return message;
}

FileVerdict quarantine(QuarantineReason reason, std::string detail, std::int64_t rows = -1) {
  FileVerdict verdict;
  verdict.quarantine = true;
  verdict.reason = reason;
  verdict.detail = std::move(detail);
  verdict.rows = rows;
  return verdict;
}

}  // namespace

Result<FileVerdict, BufferError> check_existing_file(const std::filesystem::path& path,
                                                     std::chrono::milliseconds quick_check_budget) {
  std::error_code error;
  const auto wal = std::filesystem::path(path.string() + "-wal");
  const bool has_database = std::filesystem::exists(path, error);
  const bool has_wal = size_of(wal) > 0;
  const bool database_empty = !has_database || size_of(path) == 0;
  if (database_empty && !has_wal) return FileVerdict{};  // new: nothing to check
  if (!has_database) {
    // SQLite would create a database and replay this WAL into it.
    return quarantine(QuarantineReason::kWalMismatch,
                      "a WAL " + wal.string() + " without its database");
  }
  if (!database_empty) {
    if (auto header = schema::check_file_header(path); !header.ok()) return header.error();
  }
  // A file whose own header says it is someone else's is refused, never moved, even when its
  // WAL could make it look like ours.
  const bool ours = database_empty || raw_application_id(path) == schema::kApplicationId;

  const std::string uri = "file:" + path.string() + (has_wal ? "?mode=ro" : "?immutable=1");
  Database db(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
  if (db.open_code() != SQLITE_OK) {
    return sqlite_error(db, db.open_code(), "cannot open buffer file " + path.string());
  }
  sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  (void)db.exec("PRAGMA busy_timeout = 5000");
  const QuarantineReason reason =
      has_wal ? QuarantineReason::kWalMismatch : QuarantineReason::kDamaged;
  if (auto prepared = schema::prepare(db, path, /*read_only=*/true); !prepared.ok()) {
    switch (prepared.error().code) {
      case BufferError::kNotABuffer:
      case BufferError::kCorrupt:
        if (!ours) return prepared.error();
        return quarantine(reason, without_advice(prepared.error().message));
      case BufferError::kTooNew:
      case BufferError::kIo:
      case BufferError::kFull:
      case BufferError::kInUse:
      case BufferError::kClosed:
        return prepared.error();
    }
  }
  std::int64_t rows = -1, pending_bytes = -1;
  {
    Statement pending(db, schema::sql::kSelectPending);
    if (pending.step() == SQLITE_ROW) {
      rows = pending.column_int(0);
      pending_bytes = pending.column_int(1);
    }
  }

  Deadline deadline{std::chrono::steady_clock::now() + quick_check_budget};
  if (quick_check_budget.count() > 0)
    sqlite3_progress_handler(db.handle(), 10'000, past_deadline, &deadline);
  // The writer keeps the per-topic rows and the records in step in every transaction; pages
  // from another database's WAL break that.
  if (quick_check_budget.count() > 0) {
    const auto version = db.query_int("PRAGMA user_version");
    const bool has_segments = version.ok() && *version >= 3;
    Statement count(db, has_segments ? schema::sql::kCountPending
                                     : "SELECT count(*), coalesce(sum(bytes), 0) FROM records");
    const int code = count.step();
    if (code == SQLITE_ROW) {
      if (count.column_int(0) != rows || count.column_int(1) != pending_bytes) {
        return quarantine(reason,
                          "its totals say " + std::to_string(rows) +
                              " pending rows, its records hold " +
                              std::to_string(count.column_int(0)),
                          rows);
      }
    } else if (!deadline.hit) {
      return quarantine(reason, sqlite_error(db, code, "counting records").message, rows);
    }
  }
  FileVerdict verdict;
  verdict.rows = rows;
  if (quick_check_budget.count() > 0 && !deadline.hit) {
    Statement check(db, "PRAGMA quick_check(5)");
    std::string problems;
    int code;
    while ((code = check.step()) == SQLITE_ROW) {
      const std::string line(check.column_text(0));
      if (line == "ok") break;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!problems.empty()) return quarantine(reason, "quick_check: " + problems, rows);
    if (code != SQLITE_ROW && code != SQLITE_DONE && !deadline.hit) {
      return quarantine(reason, sqlite_error(db, code, "quick_check").message, rows);
    }
  }
  verdict.quick_check_cut_short = deadline.hit;
  sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);
  return verdict;
}

}  // namespace sensorgate::buffer
