#include "buffer/backlog_query.hpp"

#include <string_view>
#include <system_error>

#include "buffer/device_counts.hpp"
#include "buffer/schema.hpp"
#include "buffer/segment.hpp"

namespace sensorgate::buffer {
namespace {

// Runs all queries inside one read transaction so the figures agree with each other; the
// transaction ends before returning, so the WAL is never pinned by a stats reader.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db) : db_(db) { began_ = db_.exec("BEGIN").ok(); }
  ~ReadTransaction() {
    if (began_) (void)db_.exec("COMMIT");
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
  bool began_ = false;
};

// The ts of the first (or last) pending record of the segment `sql` selects; 0 without any.
Result<std::int64_t, BufferError> ts_of_end(Database& db, const char* sql, bool last) {
  Statement statement(db, sql);
  if (!statement.prepared()) return sqlite_error(db, statement.prepare_code(), sql);
  const int code = statement.step();
  if (code == SQLITE_DONE) return std::int64_t{0};
  if (code != SQLITE_ROW) return sqlite_error(db, code, sql);
  const std::string_view mask = statement.column_blob(2);
  SegmentReader reader(statement.column_blob(3));
  SegmentRecord record;
  std::int64_t ts_ns = 0;
  for (std::size_t index = 0; reader.next(record); ++index) {
    if (is_done(mask, index)) continue;
    ts_ns = record.ts_ns;
    if (!last) break;
  }
  if (reader.failed()) return sqlite_error(db, SQLITE_CORRUPT, "a segment of records");
  return ts_ns;
}

}  // namespace

std::uint64_t database_bytes_on_disk(const std::filesystem::path& path) {
  std::uint64_t total = 0;
  for (const auto& file : {path, std::filesystem::path(path.string() + "-wal")}) {
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    if (!error) total += size;
  }
  return total;
}

Result<BacklogStats, BufferError> query_backlog(Database& db, const std::filesystem::path& path) {
  BacklogStats stats;
  ReadTransaction transaction(db);
  {
    Statement totals(db, schema::sql::kSelectTotals);
    if (!totals.prepared()) return sqlite_error(db, totals.prepare_code(), "reading totals");
    int code;
    while ((code = totals.step()) == SQLITE_ROW) {
      const std::string_view name = totals.column_text(0);
      const auto value = static_cast<std::uint64_t>(totals.column_int(1));
      if (name == schema::total::kDelivered) stats.delivered_total = value;
      if (name == schema::total::kDropped) stats.dropped_total = value;
      if (name == schema::total::kDeadLettered) stats.dead_letter_total = value;
      if (name == kDeviceStatsBehind) stats.by_device_behind = value != 0;
      const std::string_view prefix = schema::total::kDroppedReasonPrefix;
      if (name.substr(0, prefix.size()) == prefix) {
        stats.dropped_by_reason[std::string(name.substr(prefix.size()))] = value;
      }
    }
    if (code != SQLITE_DONE) return sqlite_error(db, code, "reading totals");
  }
  {
    Statement groups(db, schema::sql::kSelectGroups);
    if (!groups.prepared()) return sqlite_error(db, groups.prepare_code(), "reading group stats");
    int code;
    while ((code = groups.step()) == SQLITE_ROW) {
      GroupStats group{std::string(groups.column_text(1)),
                       static_cast<std::uint64_t>(groups.column_int(2)),
                       static_cast<std::uint64_t>(groups.column_int(3))};
      if (groups.column_int(0) == static_cast<std::int64_t>(schema::NameKind::kTopic)) {
        // The pending totals are the per-topic rows' sums (schema.hpp, kSelectPending).
        stats.pending += group.pending;
        stats.pending_bytes += group.pending_bytes;
        stats.by_topic.push_back(std::move(group));
      } else {
        stats.by_device.push_back(std::move(group));
      }
    }
    if (code != SQLITE_DONE) return sqlite_error(db, code, "reading group stats");
  }
  const auto oldest = ts_of_end(db, schema::sql::kSelectOldestSegment, /*last=*/false);
  if (!oldest.ok()) return oldest.error();
  const auto newest = ts_of_end(db, schema::sql::kSelectNewestSegment, /*last=*/true);
  if (!newest.ok()) return newest.error();
  stats.oldest_ts_ns = *oldest;
  stats.newest_ts_ns = *newest;
  stats.db_bytes = database_bytes_on_disk(path);
  return stats;
}

Result<std::unique_ptr<Database>, BufferError> open_read_only(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return make_error(BufferError::kIo, "no buffer file at " + path.string() +
                                            " (has the gateway run with this config yet?)");
  }
  if (auto header = schema::check_file_header(path); !header.ok()) return header.error();
  auto db = std::make_unique<Database>(path, SQLITE_OPEN_READONLY);
  if (db->open_code() != SQLITE_OK) {
    return sqlite_error(*db, db->open_code(), "cannot open buffer file " + path.string());
  }
  (void)db->exec("PRAGMA busy_timeout = 5000");
  if (auto prepared = schema::prepare(*db, path, /*read_only=*/true); !prepared.ok()) {
    return prepared.error();
  }
  if (auto version = schema::require_version(*db, path); !version.ok()) return version.error();
  return db;
}

Result<BacklogStats, BufferError> read_backlog(const std::filesystem::path& path) {
  auto db = open_read_only(path);
  if (!db.ok()) return db.error();
  return query_backlog(**db, path);
}

}  // namespace sensorgate::buffer
