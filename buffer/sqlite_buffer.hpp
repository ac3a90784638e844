// SqliteBuffer: the Buffer implementation (see buffer.hpp for the contract).
//
// Threads: one group at a time commits what is queued in two transactions (group commit): first
// the deletes of delivered and dead-lettered rows, then the appends, so that a failing append
// (disk full) never keeps Kafka's progress from being recorded and deleting can free space. The
// thread that holds the commit turn (committing_) owns the write connection and the writer
// state: the writer thread, or a caller of append()/sync() that found no group running, which
// then commits on its own thread rather than pay two thread switches for a hand-off. Callers of
// append()/sync() wait for their group's outcome, while mark_delivered()/dead_letter() only
// queue. next_batch()/stats() use a second connection under reader_mutex_, with short
// statements so the WAL is never pinned.
// Disk full: the writer gives the reserve file back to the filesystem, refuses appends without
// trying while free space stays below the reserve, deletes, checkpoints and vacuums until it
// is back, then takes the reserve again.
// Corruption found at run time (SQLITE_CORRUPT on either connection): the writer moves the
// file aside (quarantine.hpp), starts a fresh buffer at the same path with seqs above the old
// ones, and commits the group again there.
// A failed transaction that cannot be rolled back (ROLLBACK fails, or the connection stays in
// the transaction) fails closed: the writer stops writing, every waiting and later append,
// sync and delivery fails with that reason, and the writer heartbeat stops, so the watchdog
// restarts the gateway (reopening the file lets SQLite discard the half-done transaction).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer/device_counts.hpp"
#include "buffer/in_flight_rows.hpp"
#include "buffer/segment.hpp"
#include "buffer/sqlite.hpp"
#include "core/log.hpp"

namespace sensorgate::buffer {

class SqliteBuffer final : public Buffer {
 public:
  // The connections and lock of a buffer file that passed the checks of open().
  struct Files {
    std::unique_ptr<Database> writer;
    std::unique_ptr<Database> reader;
    int lock_fd = -1;
  };

  // Use Buffer::open.
  SqliteBuffer(const Options& options, Files files);
  // Creates (0640, state directory 0750) or opens the file at options.path, locks it and sets
  // up both connections. `seq_floor`: for a new file, the first seq handed out is above it.
  static Result<Files, BufferError> open_files(const Options& options, std::int64_t seq_floor);
  ~SqliteBuffer() override;

  Result<SeqRange, BufferError> append(std::span<const Record> records) override;
  Result<PartialAppend, BufferError> append_some(std::span<const Record> records,
                                                 std::chrono::steady_clock::time_point received_at,
                                                 AtCap at_cap) override;
  Status<BufferError> record_dropped(std::uint64_t rows, DropReason reason) override;
  Status<BufferError> store_dead_letter(const Record& record, const std::string& error) override;
  Result<SeqRange, BufferError> append_alert(const AlertRow& alert, const Record& record) override;
  Result<std::vector<AlertRow>, BufferError> firing_alerts() override;
  using Buffer::next_batch;
  Status<BufferError> next_batch(std::size_t max_rows, RecordBatch& out) override;
  void rewind() override;
  Status<BufferError> mark_delivered(std::span<const std::int64_t> seqs) override;
  Status<BufferError> dead_letter(std::int64_t seq, const std::string& error) override;
  Status<BufferError> sync() override;
  Result<BacklogStats, BufferError> stats() override;
  std::uint64_t records_generation() const override;
  void wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) override;
  void close() override;
  const Heartbeat& writer_heartbeat() const override { return writer_heartbeat_; }
  Durability writer_durability() const override { return writer_durability_; }

  // Loads names and totals from the file; called once by open() before the writer starts.
  Status<BufferError> load_state();

 private:
  // A caller of append() or sync() waiting for its group commit.
  struct Waiter {
    std::span<const Record> records;                 // empty for sync()
    const AlertRow* alert = nullptr;                 // append_alert(): stored with its record
    const std::string* dead_letter_error = nullptr;  // store_dead_letter(): why
    AtCap at_cap = AtCap::kStoreAll;                 // append_some(): how the reject cap applies
    bool prefix_allowed = false;                     // append_some(): may store a prefix
    bool commit_at_once = false;    // append(), sync(): a source waits; no commit_interval
    bool flush_deliveries = false;  // sync(): the queued deliveries join this group too
    std::uint64_t dropped = 0;      // record_dropped()
    DropReason drop_reason = DropReason::kCap;
    bool done = false;
    std::optional<Error<BufferError>> failure;
    std::size_t stored = 0;
    SeqRange range;
  };
  using InFlight = InFlightRow;
  // A record of a segment that is done (delivered, dead-lettered): its index in the segment and
  // what it weighed in pending_bytes.
  struct DoneMark {
    std::int64_t index;
    std::int64_t bytes;
  };
  struct DeadLetterRequest {
    std::int64_t seq;
    std::string error;
    std::int64_t failed_at_ns;
  };
  // Work taken from the queue for one transaction.
  struct Group {
    std::vector<Waiter*> waiters;
    std::vector<InFlight> delivered;              // known rows: deleted by seq range
    std::vector<std::int64_t> delivered_unknown;  // not handed out by this buffer: looked up
    std::vector<DeadLetterRequest> dead_letters;
  };
  using Counts = PendingCounts;
  // Changes of one transaction to the aggregate tables, applied just before COMMIT (the
  // per-device ones when device_counts_ says so).
  struct Deltas {
    std::unordered_map<std::int64_t, Counts> by_topic;  // topic name id -> pending/bytes change
    DeviceCounts* by_device = nullptr;  // takes the per-device changes (DeviceCounts::add)
    Counts total;
    std::int64_t delivered = 0, dead_lettered = 0;
    std::map<DropReason, std::int64_t> dropped;
    void add(std::int64_t topic_id, std::int64_t device_id, std::int64_t rows, std::int64_t bytes);
  };

  void run_writer();
  bool has_work() const;
  // Under mutex_: rows of the queued deliveries (delivered, unknown, dead letters), and whether
  // the next group takes them (they waited delivery_hold, are commit_max_rows, or the buffer
  // closes or quarantines).
  std::size_t queued_deliveries() const;
  bool deliveries_due(std::chrono::steady_clock::time_point now) const;
  // Under mutex_, after queueing a delivery: wakes the writer when the queue starts (it times
  // the hold) or reaches commit_max_rows.
  void notify_writer_of_deliveries(std::size_t queued_before);
  // Takes the commit turn, the queued waiters and the deliveries when due (or a sync() waits),
  // commits them with `lock` released, tells the waiters and gives the turn back. Called with
  // `lock` held and the turn free.
  void run_group(std::unique_lock<std::mutex>& lock);
  // Gives the commit turn back and wakes whoever waits for it; under mutex_.
  void release_turn();
  void commit_group(Group& group);
  // Runs `apply` and the aggregate updates in one transaction; rolls back on failure. `code`:
  // SQLite's result code of the failure (SQLITE_OK on success). With `write_device_counts` the
  // held per-device changes are written whether or not they are due.
  template <class Apply>
  Status<BufferError> run_transaction(Apply&& apply, int& code, bool write_device_counts = false);
  // Writes the held per-device changes in a transaction of their own (idle, close).
  void write_held_device_counts();
  Status<BufferError> apply_deletes(Group& group, Deltas& deltas);
  Status<BufferError> apply_appends(Group& group, Deltas& deltas);
  // Logs and enters the failed-closed state (see the class comment); commit turn only.
  void fail_closed(const std::string& failure, const std::string& rollback_failure);
  // Fails every waiter of `group` that stores something (appends, alerts, drop counts).
  void fail_appends(Group& group, const Error<BufferError>& error);
  // Disk full: reserve handling and making space (see the class comment).
  void enter_disk_full();
  bool try_leave_disk_full();
  void free_space_after_deletes();
  // Corruption: moves the file aside and starts a fresh one; false when that failed.
  bool quarantine_and_restart(const std::string& detail);
  // `rows` ascending by seq (commit_group sorts them before it cuts them into transactions).
  Status<BufferError> delete_delivered(const std::vector<InFlight>& rows, Deltas& deltas);
  Status<BufferError> delete_by_seq(std::vector<std::int64_t>& seqs, Deltas& deltas);
  Status<BufferError> move_to_dead_letters(const DeadLetterRequest& request, Deltas& deltas);
  // Marks `marks` (ascending, distinct indices) done in the segment at `first_seq` of `count`
  // records and deletes the segment once all its records are done. Without `fresh` the marks
  // already done are erased from `marks` first; `fresh`: the caller knows none was (rows
  // handed out by next_batch), which spares reading the progress of a segment done at once.
  Status<BufferError> mark_done(std::int64_t first_seq, std::int64_t count,
                                std::vector<DoneMark>& marks, bool fresh);
  // The records of `segment_data` at `marks`' indices, for the aggregates; false when the
  // data is malformed.
  bool records_at(std::string_view segment_data, const std::vector<DoneMark>& marks,
                  std::vector<SegmentRecord>& out) const;
  // What a record weighs in pending_bytes: its topic, key and value.
  std::int64_t stored_bytes(const SegmentRecord& record) const;
  Status<BufferError> insert_records(Waiter& waiter, std::size_t count, Deltas& deltas);
  Status<BufferError> write_segment(std::int64_t first_seq, std::int64_t bytes);
  // store_dead_letter(): the record goes to the dead letters with the next seq, never pending.
  Status<BufferError> insert_dead_letter(Waiter& waiter, Deltas& deltas);
  Status<BufferError> insert_alert(const AlertRow& alert);
  // Queues `waiter` for the next group commit and waits for its outcome.
  void commit_and_wait(Waiter& waiter, std::chrono::steady_clock::time_point received_at = {});
  Status<BufferError> drop_oldest(Deltas& deltas);
  Status<BufferError> write_deltas(const Deltas& deltas, const DeviceCounts::Plan& devices);
  Result<std::int64_t, BufferError> name_id(std::int64_t kind, const std::string& name);
  // Gives free pages back to the filesystem (incremental vacuum, `step_pages` at a time) and
  // resets the WAL; stops early when work is queued. True when it got to the end.
  bool maintain_when_idle(int step_pages = 2000);
  // Empties both connections' page caches and returns the heap's free memory to the system;
  // holder of the commit turn.
  void release_memory();
  // Whether a buffer error is corruption; also true after the reader saw corruption.
  static bool is_corruption(const Error<BufferError>& error);
  void note_reader_corruption(const Error<BufferError>& error);
  // While broken_, there are no connections; under reader_mutex_ (or with the commit turn).
  bool broken_reader() const;
  Error<BufferError> broken_error() const;

  const Options options_;
  std::unique_ptr<Database> writer_db_;  // with the commit turn only (and open/close)
  std::unique_ptr<Database> reader_db_;  // under reader_mutex_
  int lock_fd_;  // flock()ed: one writer process per buffer file; replaced on quarantine

  // Queue, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_queued_;
  std::condition_variable group_done_;
  std::vector<Waiter*> waiters_;
  std::vector<InFlight> delivered_;
  std::vector<std::int64_t> delivered_unknown_;
  std::vector<DeadLetterRequest> dead_letters_;
  std::size_t queued_rows_ = 0;  // of the queued waiters
  // A queued waiter asked for its group now (append(), sync()): the writer does not wait out
  // commit_interval; whatever else is queued joins the same group.
  bool commit_at_once_ = false;
  // A thread holds the commit turn: it alone uses writer_db_ and the writer state below.
  bool committing_ = false;
  std::chrono::steady_clock::time_point last_group_at_{};  // when the last turn ended
  std::uint64_t records_generation_ = 0;                   // groups that committed records
  std::condition_variable records_committed_;
  std::optional<std::string> reader_corruption_;  // what the reader saw; the writer quarantines
  std::chrono::steady_clock::time_point first_queued_at_{};    // the oldest queued waiter
  std::chrono::steady_clock::time_point first_delivery_at_{};  // the oldest queued delivery
  bool closing_ = false;
  bool closed_ = false;
  // Set once by the holder of the commit turn (fail_closed); holders may read it unlocked.
  std::optional<Error<BufferError>> failed_closed_;
  std::mutex close_mutex_;  // close() may race with the destructor's close()
  std::thread writer_thread_;
  Heartbeat writer_heartbeat_{"buffer writer"};
  Durability writer_durability_ = Durability::kProcess;  // read back by load_state()

  // Writer state: used by the holder of the commit turn only.
  Counts committed_;            // pending rows/bytes as of the last commit
  DeviceCounts device_counts_;  // per-device changes not yet in group_stats; stats() reads too
  std::unordered_map<std::string, std::int64_t> topic_ids_, device_ids_;
  std::vector<InFlight> spare_delivered_;  // empty; its capacity goes to delivered_ (run_group)
  std::vector<std::pair<std::int64_t, std::string>> names_added_;  // in the open transaction
  // Also read by the writer thread without the turn, to decide whether maintenance is due.
  std::atomic<bool> dirty_since_maintenance_{false};
  bool disk_full_ = false;
  bool refusing_for_disk_ = false;  // this group's records are refused: the disk is full
  bool broken_ = false;  // a quarantine could not start a fresh file: appends fail with kIo
  std::string broken_reason_;
  std::int64_t max_seq_ = 0;  // highest seq committed; a fresh file after a quarantine starts above
  std::int64_t next_seq_ = 1;  // in the open transaction: the seq the next record takes
  SegmentWriter segment_;      // the segment insert_records() is filling
  RateLimitedLog full_log_;
  RateLimitedLog commit_log_;       // repeated commit failures: one line per interval with a count
  RateLimitedLog disk_log_;         // disk full / room again
  const std::int64_t group_bytes_;  // most record bytes append_some() writes per transaction

  // Id -> name for every name in the file; grows only.
  mutable std::shared_mutex names_mutex_;
  std::vector<std::string> names_by_id_;

  // Drain side, guarded by reader_mutex_: the highest seq handed out, and seq ranges the
  // writer dropped in its open transaction (still visible to the reader until it commits).
  std::mutex reader_mutex_;
  std::int64_t cursor_ = 0;
  // Where next_batch() reads on: the segment it stopped in, or the first one after cursor_.
  std::int64_t resume_from_ = 0;
  InFlightRows in_flight_;  // cleared by rewind()
  std::vector<SeqRange> uncommitted_drops_;
};

}  // namespace sensorgate::buffer
