#include "buffer/schema.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <vector>

#include "buffer/migration.hpp"

namespace sensorgate::buffer::schema {
namespace {

constexpr const char* kCreateNames = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE names(
  id INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  UNIQUE(kind, name));
)sql";
constexpr const char* kCreateTheRest = R"sql(
CREATE TABLE group_stats(
  name_id INTEGER PRIMARY KEY,
  pending INTEGER NOT NULL,
  pending_bytes INTEGER NOT NULL);
CREATE TABLE totals(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO totals(name, value) VALUES
  ('delivered', 0), ('dropped', 0), ('dead_lettered', 0), ('last_seq', 0);
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
PRAGMA user_version = 4;
COMMIT;
)sql";
static_assert(kApplicationId == 1397178950, "kCreateTheRest spells kApplicationId out");
static_assert(kVersion == 4, "kCreateTheRest spells kVersion out");

std::string left_untouched(const std::filesystem::path& path) {
  return "; it was left untouched. Point buffer.path at another file, or move " + path.string() +
         " away (keep it if it may hold readings) and start again";
}

Error<BufferError> damaged(const std::filesystem::path& path, const std::string& detail) {
  return make_error(BufferError::kCorrupt, "buffer file " + path.string() + " is damaged (" +
                                               detail + ")" + left_untouched(path) +
                                               "; `sqlite3 FILE .recover` may save its rows");
}

}  // namespace

Status<BufferError> check_file_header(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error(BufferError::kIo, "cannot read buffer file " + path.string());
  }
  std::array<char, 16> header{};
  file.read(header.data(), header.size());
  static constexpr char kMagic[16] = "SQLite format 3";  // 15 characters and a NUL
  if (file.gcount() != static_cast<std::streamsize>(header.size()) ||
      !std::equal(header.begin(), header.end(), kMagic)) {
    return make_error(BufferError::kNotABuffer,
                      "buffer file " + path.string() +
                          " is not a sensorgate buffer (not an SQLite database)" +
                          left_untouched(path));
  }
  return {};
}

Status<BufferError> prepare(Database& db, const std::filesystem::path& path, bool read_only) {
  const auto application_id = db.query_int("PRAGMA application_id");
  if (!application_id.ok()) {
    if (application_id.error().code == BufferError::kCorrupt ||
        application_id.error().code == BufferError::kNotABuffer) {
      return damaged(path, application_id.error().message);
    }
    return application_id.error();
  }
  if (*application_id == 0) {
    const auto objects = db.query_int("SELECT count(*) FROM sqlite_schema");
    if (!objects.ok()) return damaged(path, objects.error().message);
    if (*objects != 0 || read_only) {
      return make_error(BufferError::kNotABuffer,
                        "buffer file " + path.string() +
                            " is an SQLite database but not a sensorgate buffer" +
                            left_untouched(path));
    }
    // An empty database: ours to set up. auto_vacuum must precede the first table.
    if (auto status = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !status.ok()) return status;
    if (auto status = db.exec("PRAGMA journal_mode = WAL"); !status.ok()) return status;
    const std::string create =
        std::string(kCreateNames) + sql::kCreateSegmentTables + kCreateTheRest;
    if (auto status = db.exec(create); !status.ok()) {
      (void)db.exec("ROLLBACK");
      return status;
    }
    return {};
  }
  if (*application_id != kApplicationId) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%08llx",
                  static_cast<unsigned long long>(static_cast<std::uint32_t>(*application_id)));
    return make_error(BufferError::kNotABuffer,
                      "buffer file " + path.string() +
                          " is not a sensorgate buffer (it belongs to another application, id " +
                          hex + ")" + left_untouched(path));
  }
  const auto version = db.query_int("PRAGMA user_version");
  if (!version.ok()) return damaged(path, version.error().message);
  if (*version > kVersion) {
    return make_error(BufferError::kTooNew,
                      "buffer file " + path.string() + " has schema version " +
                          std::to_string(*version) + ", newer than this sensorgate (" +
                          std::to_string(kVersion) +
                          "); it was left untouched. Upgrade sensorgate to read it");
  }
  // A reader leaves an older file as it is (the writer upgrades it when the daemon starts); what
  // it reads needs this version (see require_version).
  const bool upgrade = *version < kVersion && !read_only;
  if (upgrade && *version < 2) {
    if (auto status = db.exec(sql::kMigrateToVersion2); !status.ok()) {
      (void)db.exec("ROLLBACK");
      return status;
    }
  }
  if (upgrade && *version < 3) {
    if (auto status = migrate_to_version3(db, path); !status.ok()) return status;
  }
  if (upgrade) {
    if (auto status = migrate_to_version4(db, path); !status.ok()) return status;
  }
  // Reading the aggregates touches every table's root page: a damaged file shows here.
  std::vector<const char*> probes = {
      sql::kSelectTotals, sql::kSelectNames, "SELECT count(*) FROM dead_letters",
      "SELECT count(*) FROM group_stats", "SELECT count(*) FROM alerts"};
  if (upgrade || *version >= 3) {
    probes.insert(probes.end(), {"SELECT first_seq, count FROM segments",
                                 "SELECT first_seq FROM segment_progress"});
  } else {
    probes.push_back(sql::kVersion2Records);
  }
  for (const char* probe : probes) {
    Statement statement(db, probe);
    if (!statement.prepared()) {
      return damaged(path, sqlite_error(db, statement.prepare_code(), probe).message);
    }
    int code = SQLITE_ROW;
    for (int rows = 0; code == SQLITE_ROW && rows < 1000; ++rows) code = statement.step();
    if (code != SQLITE_DONE && code != SQLITE_ROW) {
      if (buffer_error_of(code) == BufferError::kIo) return sqlite_error(db, code, probe);
      return damaged(path, sqlite_error(db, code, probe).message);
    }
  }
  return {};
}

Status<BufferError> require_version(Database& db, const std::filesystem::path& path) {
  const auto version = db.query_int("PRAGMA user_version");
  if (!version.ok()) return version.error();
  if (*version >= kVersion) return {};
  return make_error(BufferError::kTooNew, "buffer file " + path.string() + " has schema version " +
                                              std::to_string(*version) +
                                              ", older than this sensorgate (" +
                                              std::to_string(kVersion) +
                                              "); start the daemon once (sensorgate run) to "
                                              "upgrade it");
}

Status<BufferError> configure_writer(Database& db, Durability durability,
                                     std::int64_t checkpoint_pages) {
  const char* synchronous = durability == Durability::kPower ? "PRAGMA synchronous = FULL"
                                                             : "PRAGMA synchronous = NORMAL";
  const std::string autocheckpoint =
      "PRAGMA wal_autocheckpoint = " + std::to_string(checkpoint_pages);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", synchronous,
                             // A WAL that outgrew this is cut back after each checkpoint.
                             "PRAGMA journal_size_limit = 67108864", "PRAGMA busy_timeout = 5000",
                             // 8 MiB: the writer touches the backlog's two ends and the
                             // aggregates; 16 MiB was no faster (bench_buffer) and held 12 MiB
                             // more while a large backlog drained (bench_kafka).
                             "PRAGMA cache_size = -8192", autocheckpoint.c_str()}) {
    if (auto status = db.exec(pragma); !status.ok()) return status;
  }
  return {};
}

Status<BufferError> insert_segment(Database& db, std::int64_t first_seq, SegmentWriter& segment,
                                   std::int64_t bytes, std::string_view what) {
  if (segment.count() == 0) return {};
  Statement insert(db, sql::kInsertSegment);
  if (!insert.prepared()) return sqlite_error(db, insert.prepare_code(), what);
  insert.bind(1, first_seq);
  insert.bind(2, static_cast<std::int64_t>(segment.count()));
  insert.bind(3, bytes);
  insert.bind_blob(4, segment.data(), /*copy=*/false);
  const int code = insert.step();
  insert.reset();
  segment.clear();
  if (code != SQLITE_DONE) return sqlite_error(db, code, what);
  return {};
}

Status<BufferError> set_seq_floor(Database& db, std::int64_t floor) {
  if (floor <= 0) return {};
  Statement set(db, sql::kSetLastSeq);
  set.bind(1, floor);
  if (const int code = set.step(); code != SQLITE_DONE) {
    return sqlite_error(db, code, "setting the first seq");
  }
  return {};
}

}  // namespace sensorgate::buffer::schema
