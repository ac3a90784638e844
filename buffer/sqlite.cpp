#include "buffer/sqlite.hpp"

#include <cstring>

namespace sensorgate::buffer {

BufferError buffer_error_of(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_CORRUPT:
      return BufferError::kCorrupt;
    case SQLITE_NOTADB:
      return BufferError::kNotABuffer;
    default:
      return BufferError::kIo;
  }
}

Database::Database(const std::filesystem::path& path, int flags) : path_(path.string()) {
  open_code_ = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (db_ != nullptr) sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  for (const Prepared& prepared : cache_) sqlite3_finalize(prepared.stmt);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Database::take_prepared(std::string_view sql, int& code) {
  code = SQLITE_OK;
  std::lock_guard lock(cache_mutex_);
  for (Prepared& prepared : cache_) {
    if (prepared.sql != sql) continue;
    if (prepared.in_use) return nullptr;
    prepared.in_use = true;
    return prepared.stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                            SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  cache_.push_back({std::string(sql), stmt, true});
  return stmt;
}

void Database::give_back(sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  std::lock_guard lock(cache_mutex_);
  for (Prepared& prepared : cache_) {
    if (prepared.stmt == stmt) prepared.in_use = false;
  }
}

Status<BufferError> Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return sqlite_error(*this, code, text);
  return {};
}

Status<BufferError> Database::run(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.prepared()) return sqlite_error(*this, statement.prepare_code(), sql);
  if (const int code = statement.step(); code != SQLITE_DONE) return sqlite_error(*this, code, sql);
  return {};
}

Result<std::int64_t, BufferError> Database::query_int(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.prepared()) return sqlite_error(*this, statement.prepare_code(), sql);
  const int code = statement.step();
  if (code == SQLITE_ROW) return statement.column_int(0);
  if (code == SQLITE_DONE) return std::int64_t{0};
  return sqlite_error(*this, code, sql);
}

Statement::Statement(Database& db, std::string_view sql) {
  if (db.handle() == nullptr) {
    prepare_code_ = SQLITE_MISUSE;
    return;
  }
  stmt_ = db.take_prepared(sql, prepare_code_);
  if (stmt_ != nullptr) {
    cached_in_ = &db;
    return;
  }
  if (prepare_code_ != SQLITE_OK) return;  // it does not prepare: a second try would not either
  prepare_code_ = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                     SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

Statement::~Statement() {
  if (cached_in_ != nullptr) {
    cached_in_->give_back(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

void Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
}

void Statement::bind(int index, std::string_view text, bool copy) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                    copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

void Statement::bind_blob(int index, std::string_view bytes, bool copy) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                    copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

int Statement::step() {
  return sqlite3_step(stmt_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

double Statement::column_double(int index) const {
  return sqlite3_column_double(stmt_, index);
}

std::string_view Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return {text == nullptr ? "" : text,
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::string_view Statement::column_blob(int index) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  return {bytes == nullptr ? "" : bytes,
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

Error<BufferError> sqlite_error(const Database& db, int code, std::string_view what) {
  std::string message;
  if (what.find(db.path()) == std::string_view::npos) message = "buffer file " + db.path() + ": ";
  message += what;
  message += ": ";
  // The connection's message only when it is about this error: damage the buffer found itself
  // (a malformed segment) left the connection with "not an error".
  const bool connection_error =
      db.handle() != nullptr && (sqlite3_errcode(db.handle()) & 0xff) == (code & 0xff);
  message += connection_error ? sqlite3_errmsg(db.handle()) : sqlite3_errstr(code);
  // SQLite's words ("unable to open database file") rarely say why; the OS error does.
  const int primary = code & 0xff;
  const bool from_os = primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ||
                       primary == SQLITE_READONLY || primary == SQLITE_FULL ||
                       primary == SQLITE_PERM;
  const int os_error = db.handle() == nullptr || !from_os ? 0 : sqlite3_system_errno(db.handle());
  if (os_error != 0) {
    message += " (";
    message += std::strerror(os_error);
    message += ")";
  }
  return make_error(buffer_error_of(code), std::move(message));
}

}  // namespace sensorgate::buffer
