// Buffer: the SQLite (WAL) store-and-forward queue between adapters and the Kafka forwarder.
//
// Write side: any thread may call append(); queued appends are committed in groups, one group
// at a time (at once when a caller waits in append(), which then commits on its own thread if
// no group is running; else by the writer thread per commit_interval or commit_max_rows,
// whichever comes first), and append() returns only once its records are committed, so the
// caller may then acknowledge its source.
// Read side: one forwarder thread takes batches in seq order (rows handed out are "in flight"
// and are not handed out again), and reports rows delivered or dead-lettered in any order.
// seq is strictly increasing and never reused, also across restarts and after deletes.
//
// Thread safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "buffer/record.hpp"
#include "core/heartbeat.hpp"
#include "core/result.hpp"
#include "core/units.hpp"

namespace sensorgate::buffer {

enum class BufferError {
  kFull,        // on_full=reject and the cap is reached; nothing of the append was stored
  kIo,          // SQLite failed to read or write (disk full, I/O error)
  kNotABuffer,  // the file exists but is not a sensorgate buffer; it was left untouched
  kCorrupt,     // the file is a damaged database; it was left untouched
  kTooNew,      // written by a newer sensorgate (schema version above ours)
  kInUse,       // another process has the buffer open for writing
  kClosed,      // the buffer is shutting down
};

enum class OnFull { kDropOldest, kReject };

// Why records were dropped (readings, and alert events, which are records of the alerts
// topic); the label is what dropped_by_reason and the logs call it.
enum class DropReason {
  kCap,                 // "cap": on_full=drop_oldest made room at buffer.max_bytes
  kNotCommittedAtStop,  // "not_committed_at_stop": acknowledged, queued, and the stop deadline
                        // passed before any commit could take them (disk full or failing)
  kCommitFailed,        // "commit_failed": taken from a source that cannot resend them (MQTT
                        // acknowledged, UDP, a Modbus poll), then the commit failed
  kStopping,            // "stopping": taken from such a source while the gateway stopped
  kAlertQueueFull,      // "alert_queue_full": alert events raised while the alert queue was full
  kAlertAfterStop,      // "alert_after_stop": alert events raised after the alerts had stopped
  kAlertStoreFailed,    // "alert_store_failed": alert events the buffer could not store
};
const char* drop_reason_label(DropReason reason);

// How append_some() treats buffer.max_bytes with on_full=reject.
enum class AtCap {
  kStoreWhatFits,  // store the longest prefix that fits under the cap
  kStoreAll,       // store everything, over the cap: readings whose source was acknowledged
};
enum class Durability { kProcess, kPower };  // synchronous=NORMAL / synchronous=FULL

struct Options {
  std::filesystem::path path;
  Bytes max_bytes = 1_GiB;
  OnFull on_full = OnFull::kDropOldest;
  Durability durability = Durability::kProcess;
  std::chrono::nanoseconds commit_interval = std::chrono::milliseconds(10);
  std::uint32_t commit_max_rows = 5000;
  // Longest delivered rows wait for their deletion (fewer when commit_max_rows of them are
  // queued). Groups of appends take along only deliveries that waited this long, so at light
  // load a few deletes a second free whole pages instead of one small delete per commit.
  // Until deleted, a delivered row still counts as pending and is sent again after a crash.
  std::chrono::nanoseconds delivery_hold = std::chrono::milliseconds(100);
  // Caps the database file at this many pages (0: no limit); how tests make the disk full.
  std::uint32_t max_page_count = 0;
  // Size of the slack file kept beside the database (<path>.reserve) and given back to the
  // filesystem when a write fails with "disk full", so that the WAL can be checkpointed and
  // delivered rows deleted (both need space). It must hold what a checkpoint adds to the
  // database file, at most the WAL: up to wal_autocheckpoint (1000 pages, 4 MiB) plus one
  // group commit (commit_max_rows rows). Appends resume once twice this is free. 0: none.
  Bytes reserve_bytes = 16_MiB;
  // Longest time the whole-file checks at open (totals against records, PRAGMA quick_check) may
  // run; a check cut short is logged and the file is used. 0: neither runs, only the cheap
  // probes of every table.
  std::chrono::milliseconds quick_check_budget = std::chrono::seconds(30);
};

// The seqs one append() received: first..last, contiguous and in the order of its records.
struct SeqRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// What append_some() stored: the first `stored` records, with seqs `range`.
struct PartialAppend {
  std::size_t stored = 0;
  SeqRange range;
};

// One alert transition as the alerts table keeps it: the history `sensorgate alerts` shows and
// the firing state a restarted gateway restores.
struct AlertRow {
  std::int64_t ts_ns = 0;
  std::string rule;
  std::string device;
  std::string metric;
  std::string severity;
  std::string state;  // "firing" | "resolved"
  double value = 0;
  double threshold = 0;
  std::string message;
  std::int64_t raised_at_ns = 0;  // the gateway's clock when it raised the event
};

struct GroupStats {
  std::string name;  // topic or device
  std::uint64_t pending = 0;
  std::uint64_t pending_bytes = 0;
};

// What waits in the buffer. pending_bytes counts topic + key + value bytes of pending rows, the
// measure that buffer.max_bytes caps (the file holds them plus SQLite's overhead, about 1.3x).
// oldest/newest are the ts of the lowest/highest pending seq
// (arrival order); 0 when nothing is pending.
struct BacklogStats {
  std::uint64_t pending = 0;
  std::uint64_t pending_bytes = 0;
  std::int64_t oldest_ts_ns = 0;
  std::int64_t newest_ts_ns = 0;
  std::uint64_t delivered_total = 0;
  std::uint64_t dropped_total = 0;                         // every reason
  std::map<std::string, std::uint64_t> dropped_by_reason;  // drop_reason_label -> rows, ever
  std::uint64_t dead_letter_total = 0;
  std::uint64_t db_bytes = 0;         // database file plus WAL on disk
  std::vector<GroupStats> by_topic;   // sorted by name
  std::vector<GroupStats> by_device;  // sorted by name
  // by_device may lag the totals: the gateway writes per-device rows at most once a second, and
  // after an unclean stop they are counted again when it next opens the file. Always false from
  // Buffer::stats(), which adds what the writer holds.
  bool by_device_behind = false;
};

class Buffer {
 public:
  // Opens or creates the buffer at options.path and starts its writer thread. Never overwrites,
  // merges or deletes an existing file. A file that is not a sensorgate buffer, or is too new,
  // is refused and left untouched (kNotABuffer / kTooNew, with a message naming the file and
  // what to do). A sensorgate buffer that fails its checks (open_check.hpp: damaged, or beside
  // a -wal that does not belong to it) is moved aside with its -wal and -shm
  // (quarantine.hpp), logged, and a fresh buffer starts at options.path with seqs above the
  // old ones. At run time SQLITE_CORRUPT leads to the same quarantine and a fresh start.
  // Logs a warning when max_bytes exceeds the free space of the directory.
  static Result<std::unique_ptr<Buffer>, BufferError> open(const Options& options);

  virtual ~Buffer() = default;

  // Appends records in order; returns once they are committed (or the commit failed, in which
  // case none of them is stored). With on_full=reject and the cap reached: kFull.
  // `records` must not be empty. The caller waits to acknowledge its source, so the writer
  // commits at once rather than within commit_interval: it starts a group as soon as it is free,
  // and whatever else is queued then (other appends, alerts, deliveries) joins that group.
  virtual Result<SeqRange, BufferError> append(std::span<const Record> records) = 0;

  // Like append(), but commits within commit_interval of `received_at` (when the oldest of the
  // records reached the gateway, if it waited elsewhere before this call), gathering what else
  // is queued by then into one group; and stores a prefix of `records`, at least one record, when
  // not all of them go into one group commit: at most a quarter of reserve_bytes of records per
  // transaction (what keeps a full disk drainable), and with on_full=reject and
  // at_cap=kStoreWhatFits only what fits under the cap (one record when nothing is pending, so
  // that a record larger than the cap cannot stall its sender). Fails with kFull only when none
  // fits under the cap; with at_cap=kStoreAll the cap does not apply. The caller appends the
  // rest in later calls. On failure nothing of the call was stored.
  virtual Result<PartialAppend, BufferError> append_some(
      std::span<const Record> records, std::chrono::steady_clock::time_point received_at,
      AtCap at_cap) = 0;

  // Adds `rows` to dropped_total and to dropped_by_reason[reason] for readings lost before
  // they reached the buffer; returns once that is committed.
  virtual Status<BufferError> record_dropped(std::uint64_t rows, DropReason reason) = 0;

  // Keeps `record` among the dead letters with `error`, without it ever being pending: for a
  // message the gateway must not process again (reason "poison: ..."). It takes a seq like
  // any record and counts in dead_letter_total; stored even at the cap, like alerts. Returns
  // once committed.
  virtual Status<BufferError> store_dead_letter(const Record& record, const std::string& error) = 0;

  // Stores the alert in the alerts table and its Kafka record in the same commit; returns once
  // committed. The record is stored even at the cap with on_full=reject: alerts are few and
  // say why the gateway is in trouble.
  virtual Result<SeqRange, BufferError> append_alert(const AlertRow& alert,
                                                     const Record& record) = 0;

  // The latest stored transition of every (rule, device, metric) whose latest one is "firing".
  virtual Result<std::vector<AlertRow>, BufferError> firing_alerts() = 0;

  // Replaces the rows of `out` with up to max_rows committed, undelivered, not in-flight
  // records in seq order; they become in flight. Empty when nothing is waiting. The slots of
  // `out` are written over in place (record.hpp), so a drain loop that passes the same batch
  // allocates nothing per row once it has seen its largest rows.
  virtual Status<BufferError> next_batch(std::size_t max_rows, RecordBatch& out) = 0;
  // The same into a new vector, for callers that read a batch now and then (tests, tools).
  Result<std::vector<StoredRecord>, BufferError> next_batch(std::size_t max_rows) {
    RecordBatch batch;
    if (auto read = next_batch(max_rows, batch); !read.ok()) return read.error();
    return batch.take();
  }

  // Makes every in-flight row available to next_batch again (after a send failed), in seq
  // order. The caller must have no outstanding sends for those rows.
  virtual void rewind() = 0;

  // Deletes delivered rows (any order; unknown seqs are ignored) and counts them delivered.
  // Queues the deletion for the next group commit and returns at once: a crash before that
  // commit makes those rows pending again, and they are sent again with the same seq. With no
  // append queued, deletions wait up to max(commit_interval, 100 ms) for one to join.
  virtual Status<BufferError> mark_delivered(std::span<const std::int64_t> seqs) = 0;

  // Moves a row that can never be delivered to the dead-letter table with the error text;
  // queued for the next group commit like mark_delivered.
  virtual Status<BufferError> dead_letter(std::int64_t seq, const std::string& error) = 0;

  // Returns once everything queued before the call (appends, deliveries, dead letters) is
  // committed.
  virtual Status<BufferError> sync() = 0;

  virtual Result<BacklogStats, BufferError> stats() = 0;

  // A count that grows each time records are committed (appends, alerts, dead letters).
  virtual std::uint64_t records_generation() const = 0;
  // Waits until records_generation() is no longer `seen`, `timeout` passes or the buffer
  // closes: how a drain with nothing to do sleeps until there is, instead of polling.
  virtual void wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) = 0;

  // Commits what is queued and stops the writer; later calls fail with kClosed.
  virtual void close() = 0;

  // The writer's heartbeat (gateway/daemon/watchdog.hpp): beaten every round of the writer
  // thread's loop, at least every Heartbeat::kMaxIdle while idle, and after every group a caller
  // committed on its own thread; it stops after close(), and once a transaction
  // that could not be rolled back made the writer fail closed (every write then fails with kIo).
  virtual const Heartbeat& writer_heartbeat() const = 0;

  // The durability the writer's connection runs with, as SQLite reports it (PRAGMA synchronous
  // read back at open: FULL is kPower, NORMAL kProcess), so that a setting that does nothing
  // shows.
  virtual Durability writer_durability() const = 0;
};

// Alert events stored at or after since_ns, at most `limit`: first those of series still firing
// (their latest event is a firing one), then the rest, newest first within each group;
// read-only like read_backlog.
Result<std::vector<AlertRow>, BufferError> read_alerts(const std::filesystem::path& path,
                                                       std::int64_t since_ns,
                                                       std::size_t limit = 1000);

// Backlog statistics read from the file through a read-only connection; safe while a daemon
// has the buffer open. Fails with the open errors above, or kIo when the file does not exist.
Result<BacklogStats, BufferError> read_backlog(const std::filesystem::path& path);

}  // namespace sensorgate::buffer
