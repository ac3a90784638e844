#include "buffer/migration.hpp"

#include <chrono>
#include <string>

#include "buffer/schema.hpp"
#include "buffer/segment.hpp"
#include "core/log.hpp"

namespace sensorgate::buffer {
namespace {

constexpr std::string_view kComponent = "buffer";

// Writes the records of version 2 as segments; inside the caller's transaction.
Status<BufferError> move_records(Database& db, std::int64_t& moved) {
  Statement select(db, schema::sql::kVersion2Records);
  if (!select.prepared()) {
    return sqlite_error(db, select.prepare_code(), "reading the records to upgrade");
  }
  SegmentWriter segment;
  std::int64_t first_seq = 0, bytes = 0;
  auto flush = [&]() -> Status<BufferError> {
    moved += static_cast<std::int64_t>(segment.count());
    auto stored = schema::insert_segment(db, first_seq, segment, bytes, "writing segments");
    bytes = 0;
    return stored;
  };
  int code;
  while ((code = select.step()) == SQLITE_ROW) {
    const std::int64_t seq = select.column_int(0);
    const std::string_view value = select.column_blob(5);
    const bool follows =
        segment.count() > 0 && seq == first_seq + static_cast<std::int64_t>(segment.count());
    if (!follows || !segment.has_room_for(value.size())) {
      if (auto flushed = flush(); !flushed.ok()) return flushed;
      first_seq = seq;
    }
    segment.add(select.column_int(1), select.column_int(2), select.column_int(3), value);
    bytes += select.column_int(4);
  }
  if (code != SQLITE_DONE) return sqlite_error(db, code, "reading the records to upgrade");
  return flush();
}

}  // namespace

Status<BufferError> migrate_to_version3(Database& db, const std::filesystem::path& path) {
  const auto started = std::chrono::steady_clock::now();
  std::int64_t moved = 0;
  auto status = db.exec("BEGIN IMMEDIATE");
  if (status.ok()) status = db.exec(schema::sql::kCreateSegmentTables);
  if (status.ok()) {
    status = db.exec(std::string("INSERT INTO totals(name, value) SELECT 'last_seq', (") +
                     schema::sql::kVersion2LastSeq + ")");
  }
  if (status.ok()) status = move_records(db, moved);
  if (status.ok()) status = db.exec("DROP TABLE records; PRAGMA user_version = 3; COMMIT");
  if (!status.ok()) {
    (void)db.exec("ROLLBACK");
    return make_error(status.error().code, "cannot upgrade buffer file " + path.string() +
                                               " to schema version 3 (it was left as it was): " +
                                               status.error().message);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log_info(kComponent, "upgraded buffer file " + path.string() +
                           " to schema version 3: " + std::to_string(moved) +
                           " pending records kept, in " + std::to_string(took.count()) + " ms");
  return {};
}

Status<BufferError> migrate_to_version4(Database& db, const std::filesystem::path& path) {
  const auto started = std::chrono::steady_clock::now();
  if (auto status = db.exec(schema::sql::kMigrateToVersion4); !status.ok()) {
    (void)db.exec("ROLLBACK");
    return make_error(status.error().code, "cannot upgrade buffer file " + path.string() +
                                               " to schema version 4 (it was left as it was): " +
                                               status.error().message);
  }
  const auto pending = db.query_int(schema::sql::kSelectPending);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log_info(kComponent, "upgraded buffer file " + path.string() + " to schema version 4: " +
                           (pending.ok() ? std::to_string(*pending) : std::string("?")) +
                           " pending records kept, in " + std::to_string(took.count()) +
                           " ms (pending totals now summed from the per-topic rows)");
  return {};
}

}  // namespace sensorgate::buffer
