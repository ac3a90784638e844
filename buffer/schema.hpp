// The buffer's on-disk format: every SQL statement the buffer runs lives here, together with the
// checks that decide whether an existing file is a sensorgate buffer this build can use.
//
// Tables: segments (pending records, many consecutive seqs per row: segment.hpp) and
// segment_progress (records of a segment done before the rest), names (topic and device names,
// stored once), group_stats and totals (aggregates kept current by the writer so backlog
// questions never scan records), and dead_letters (rows Kafka refused for good). Since version
// 4 the pending totals are the sums of the per-topic group_stats rows, and totals' last_seq is
// written only by transactions that take rows out (delivered, dropped, dead-lettered): a
// transaction of appends alone writes its segment and the group_stats page, one WAL frame fewer
// per commit. The highest seq ever handed out is the larger of last_seq and the newest
// segment's last (kSelectHighestSeq), so that a seq is never reused. application_id marks
// the file as ours and user_version carries the schema version for migrations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "buffer/buffer.hpp"
#include "buffer/segment.hpp"
#include "buffer/sqlite.hpp"

namespace sensorgate::buffer::schema {

inline constexpr std::int64_t kApplicationId = 0x53474246;  // "SGBF"
inline constexpr std::int64_t kVersion = 4;

enum class NameKind : std::int64_t { kTopic = 0, kDevice = 1 };

// Checks that `path` (which exists and is not empty) starts like an SQLite database, without
// opening it through SQLite, so that no other kind of file is ever modified.
Status<BufferError> check_file_header(const std::filesystem::path& path);

// On a connection to an existing or new file: refuses files that are not sensorgate buffers, are
// damaged or too new; creates the schema in an empty database unless `read_only`.
// An older file is upgraded in place unless `read_only`.
Status<BufferError> prepare(Database& db, const std::filesystem::path& path, bool read_only);

// kTooNew ("start the daemon once to upgrade it") for a file older than kVersion: for readers of
// what older files lack (alerts' raised_at).
Status<BufferError> require_version(Database& db, const std::filesystem::path& path);

// Connection settings for the writer: WAL, synchronous per durability, WAL size limits, and a
// checkpoint whenever the WAL reaches `checkpoint_pages`.
Status<BufferError> configure_writer(Database& db, Durability durability,
                                     std::int64_t checkpoint_pages);

// Inserts `segment` (segment.hpp) as the segment of seqs from `first_seq` on, weighing `bytes`
// in pending_bytes, and empties it; an empty one stores nothing. The error names `what` fails.
Status<BufferError> insert_segment(Database& db, std::int64_t first_seq, SegmentWriter& segment,
                                   std::int64_t bytes, std::string_view what);

// On a new, empty records table: the next seq handed out is above `floor` (after a quarantine,
// so that seqs are never reused: consumers drop a gateway+seq they saw as a duplicate).
Status<BufferError> set_seq_floor(Database& db, std::int64_t floor);

namespace sql {
// Schema version 3: the records of consecutive seqs first_seq .. first_seq + count - 1 in one row
// (segment.hpp: `data`); `bytes` is what they weigh in pending_bytes. A segment is written once
// and deleted whole; records of it done before the rest (delivered, dead-lettered) are marked
// in segment_progress (`done` records weighing `done_bytes`, `mask` one bit per record).
inline constexpr const char* kCreateSegmentTables = R"sql(
CREATE TABLE segments(
  first_seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE TABLE segment_progress(
  first_seq INTEGER PRIMARY KEY,
  done INTEGER NOT NULL,
  done_bytes INTEGER NOT NULL,
  mask BLOB NOT NULL);
)sql";
inline constexpr const char* kInsertSegment =
    "INSERT INTO segments(first_seq, count, bytes, data) VALUES(?1, ?2, ?3, ?4)";
inline constexpr const char* kInsertName = "INSERT INTO names(kind, name) VALUES(?1, ?2)";
inline constexpr const char* kSelectNames = "SELECT id, name FROM names ORDER BY id";
// The segment queries below read first_seq, count, mask (NULL: nothing done) and data.
#define SENSORGATE_SELECT_SEGMENTS                                                            \
  "SELECT s.first_seq, s.count, p.mask, s.data FROM segments s LEFT JOIN segment_progress p " \
  "ON p.first_seq = s.first_seq "
// From the segment at or after ?1 on, in seq order.
inline constexpr const char* kSelectSegmentsFrom =
    SENSORGATE_SELECT_SEGMENTS "WHERE s.first_seq >= ?1 ORDER BY s.first_seq";
// The segment that holds seq ?1, if any is at or below it.
inline constexpr const char* kSelectSegmentHolding =
    SENSORGATE_SELECT_SEGMENTS "WHERE s.first_seq <= ?1 ORDER BY s.first_seq DESC LIMIT 1";
inline constexpr const char* kSelectProgress =
    "SELECT done, done_bytes, mask FROM segment_progress WHERE first_seq = ?1";
inline constexpr const char* kUpsertProgress =
    "INSERT INTO segment_progress(first_seq, done, done_bytes, mask) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(first_seq) DO UPDATE SET done = excluded.done, done_bytes = "
    "excluded.done_bytes, mask = excluded.mask";
inline constexpr const char* kDeleteSegment = "DELETE FROM segments WHERE first_seq = ?1";
inline constexpr const char* kDeleteProgress = "DELETE FROM segment_progress WHERE first_seq = ?1";
inline constexpr const char* kSelectOldestSegment =
    SENSORGATE_SELECT_SEGMENTS "ORDER BY s.first_seq LIMIT 1";
inline constexpr const char* kSelectNewestSegment =
    SENSORGATE_SELECT_SEGMENTS "ORDER BY s.first_seq DESC LIMIT 1";
#undef SENSORGATE_SELECT_SEGMENTS
// Pending rows and bytes as the segments hold them (open_check compares them with
// kSelectPending).
inline constexpr const char* kCountPending =
    "SELECT (SELECT coalesce(sum(count), 0) FROM segments) - (SELECT coalesce(sum(done), 0) FROM "
    "segment_progress), (SELECT coalesce(sum(bytes), 0) FROM segments) - (SELECT "
    "coalesce(sum(done_bytes), 0) FROM segment_progress)";
inline constexpr const char* kInsertDeadLetter =
    "INSERT INTO dead_letters(seq, topic, key, ts_ns, value, error, failed_at_ns) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
inline constexpr const char* kAddGroupStats =
    "INSERT INTO group_stats(name_id, pending, pending_bytes) VALUES(?1, ?2, ?3) "
    "ON CONFLICT(name_id) DO UPDATE SET pending = pending + excluded.pending, "
    "pending_bytes = pending_bytes + excluded.pending_bytes";
inline constexpr const char* kAddTotal = "UPDATE totals SET value = value + ?2 WHERE name = ?1";
// Rows added after version 1 (dropped:<reason>) are created on first use.
inline constexpr const char* kUpsertTotal =
    "INSERT INTO totals(name, value) VALUES(?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value";
// The highest seq ever handed out: what a transaction that took rows out recorded, or the
// newest segment's last seq (version 3 and later).
inline constexpr const char* kSelectHighestSeq =
    "SELECT max(coalesce((SELECT value FROM totals WHERE name = 'last_seq'), 0), "
    "coalesce((SELECT first_seq + count - 1 FROM segments ORDER BY first_seq DESC LIMIT 1), 0))";
inline constexpr const char* kSetLastSeq =
    "UPDATE totals SET value = max(value, ?1) WHERE name = 'last_seq'";
// Pending rows and bytes: the sums of the per-topic rows (kind 0, NameKind::kTopic; every
// pending record has a topic).
inline constexpr const char* kSelectPending =
    "SELECT coalesce(sum(g.pending), 0), coalesce(sum(g.pending_bytes), 0) FROM group_stats g "
    "JOIN names n ON n.id = g.name_id WHERE n.kind = 0";
inline constexpr const char* kSelectTotals = "SELECT name, value FROM totals";
inline constexpr const char* kSelectGroups =
    "SELECT n.kind, n.name, g.pending, g.pending_bytes FROM group_stats g "
    "JOIN names n ON n.id = g.name_id WHERE g.pending > 0 ORDER BY n.kind, n.name";
inline constexpr const char* kInsertAlert =
    "INSERT INTO alerts(ts_ns, rule, device, metric, severity, state, value, threshold, message, "
    "raised_at_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// The history is bounded: rows older than the newest kAlertHistoryRows go.
inline constexpr const char* kPruneAlerts =
    "DELETE FROM alerts WHERE id <= (SELECT max(id) FROM alerts) - ?1";
inline constexpr std::int64_t kAlertHistoryRows = 100'000;
inline constexpr const char* kSelectFiringAlerts =
    "SELECT a.ts_ns, a.rule, a.device, a.metric, a.severity, a.state, a.value, a.threshold, "
    "a.message, a.raised_at_ns FROM alerts a WHERE a.id IN (SELECT max(id) FROM alerts GROUP BY "
    "rule, device, "
    "metric) AND a.state = 'firing' ORDER BY a.rule, a.device, a.metric";
// Events raised since ?1, and the latest event of every series still firing whenever it was
// raised; firing first, then newest first.
inline constexpr const char* kSelectAlertsSince =
    "SELECT ts_ns, rule, device, metric, severity, state, value, threshold, message, "
    "raised_at_ns FROM (SELECT a.*, (a.state = 'firing' AND a.id = (SELECT max(id) FROM alerts b "
    "WHERE b.rule = a.rule AND b.device = a.device AND b.metric = a.metric)) AS still_firing "
    "FROM alerts a) WHERE raised_at_ns >= ?1 OR still_firing ORDER BY still_firing DESC, "
    "raised_at_ns DESC, id DESC LIMIT ?2";
// Schema version 1 -> 2: alerts gain raised_at_ns (the old rows take their ts_ns).
inline constexpr const char* kMigrateToVersion2 =
    "BEGIN IMMEDIATE; ALTER TABLE alerts ADD COLUMN raised_at_ns INTEGER NOT NULL DEFAULT 0; "
    "UPDATE alerts SET raised_at_ns = ts_ns; CREATE INDEX alerts_by_raised ON "
    "alerts(raised_at_ns); PRAGMA user_version = 2; COMMIT;";
// Version 3 -> 4 (migration.hpp): the pending totals rows go, kSelectPending sums the same.
inline constexpr const char* kMigrateToVersion4 =
    "BEGIN IMMEDIATE; DELETE FROM totals WHERE name IN ('pending', 'pending_bytes'); "
    "PRAGMA user_version = 4; COMMIT;";
// Version 2 -> 3 (migration.hpp): records, one row per reading, become segments.
inline constexpr const char* kVersion2Records =
    "SELECT seq, topic_id, device_id, ts_ns, bytes, value FROM records ORDER BY seq";
inline constexpr const char* kVersion2LastSeq =
    "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0)";
inline constexpr const char* kFreePages = "PRAGMA freelist_count";
inline constexpr const char* kPageCount = "PRAGMA page_count";
inline std::string incremental_vacuum(int pages) {
  return "PRAGMA incremental_vacuum(" + std::to_string(pages) + ")";
}
inline constexpr const char* kCheckpointTruncate = "PRAGMA wal_checkpoint(TRUNCATE)";
}  // namespace sql

// Names of the rows of the totals table.
namespace total {
inline constexpr const char* kDelivered = "delivered";
inline constexpr const char* kDropped = "dropped";  // every reason
// Prefix of the per-reason rows: "dropped:cap", "dropped:not_committed_at_stop".
inline constexpr const char* kDroppedReasonPrefix = "dropped:";
inline constexpr const char* kDeadLettered = "dead_lettered";
}  // namespace total

}  // namespace sensorgate::buffer::schema
