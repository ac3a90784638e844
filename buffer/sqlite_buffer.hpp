// SqliteBuffer: the Buffer implementation (see buffer.hpp for the contract).
//
// Threads: one writer thread owns the write connection and commits everything queued in one
// transaction (group commit); callers of append()/sync() wait for their group's outcome, while
// mark_delivered()/dead_letter() only queue. next_batch()/stats() use a second connection under
// reader_mutex_, with short statements so the WAL is never pinned.
#pragma once

#include <condition_variable>
#include <deque>
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
#include "buffer/sqlite.hpp"
#include "core/log.hpp"

namespace sensorgate::buffer {

class SqliteBuffer final : public Buffer {
 public:
  // Use Buffer::open.
  SqliteBuffer(const Options& options, std::unique_ptr<Database> writer,
               std::unique_ptr<Database> reader, int lock_fd);
  ~SqliteBuffer() override;

  Result<SeqRange, BufferError> append(std::span<const Record> records,
                                       std::chrono::steady_clock::time_point received_at) override;
  Result<SeqRange, BufferError> append_alert(const AlertRow& alert, const Record& record) override;
  Result<std::vector<AlertRow>, BufferError> firing_alerts() override;
  using Buffer::next_batch;
  Status<BufferError> next_batch(std::size_t max_rows, std::vector<StoredRecord>& out) override;
  void rewind() override;
  Status<BufferError> mark_delivered(std::span<const std::int64_t> seqs) override;
  Status<BufferError> dead_letter(std::int64_t seq, const std::string& error) override;
  Status<BufferError> sync() override;
  Result<BacklogStats, BufferError> stats() override;
  void close() override;
  const Heartbeat& writer_heartbeat() const override { return writer_heartbeat_; }

  // Loads names and totals from the file; called once by open() before the writer starts.
  Status<BufferError> load_state();

 private:
  // A caller of append() or sync() waiting for its group commit.
  struct Waiter {
    std::span<const Record> records;  // empty for sync()
    const AlertRow* alert = nullptr;  // append_alert(): stored with its record
    bool done = false;
    std::optional<Error<BufferError>> failure;
    SeqRange range;
  };
  // A row handed out by next_batch, with what the writer needs to update the aggregates when
  // it is delivered, without reading the row back.
  struct InFlight {
    std::int64_t seq;
    std::int64_t topic_id;
    std::int64_t device_id;
    std::int64_t bytes;
    bool delivered = false;
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
  struct Counts {
    std::int64_t pending = 0;
    std::int64_t pending_bytes = 0;
  };
  // Changes of one transaction to the aggregate tables, applied just before COMMIT.
  struct Deltas {
    std::unordered_map<std::int64_t, Counts> by_name;  // name id -> pending/bytes change
    Counts total;
    std::int64_t delivered = 0, dropped = 0, dead_lettered = 0;
    void add(std::int64_t topic_id, std::int64_t device_id, std::int64_t rows, std::int64_t bytes);
  };

  void run_writer();
  bool has_work() const;
  void commit_group(Group& group);
  Status<BufferError> apply_group(Group& group, Deltas& deltas);
  Status<BufferError> delete_delivered(std::vector<InFlight>& rows, Deltas& deltas);
  Status<BufferError> delete_by_seq(std::vector<std::int64_t>& seqs, Deltas& deltas);
  Status<BufferError> move_to_dead_letters(const DeadLetterRequest& request, Deltas& deltas);
  Status<BufferError> insert_records(Waiter& waiter, Deltas& deltas);
  Status<BufferError> insert_alert(const AlertRow& alert);
  // Queues `waiter` for the next group commit and waits for its outcome.
  void commit_and_wait(Waiter& waiter, std::chrono::steady_clock::time_point received_at = {});
  Status<BufferError> drop_oldest(Deltas& deltas);
  Status<BufferError> write_deltas(const Deltas& deltas);
  Result<std::int64_t, BufferError> name_id(std::int64_t kind, const std::string& name);
  void maintain_when_idle();

  const Options options_;
  std::unique_ptr<Database> writer_db_;  // writer thread only (and open/close)
  std::unique_ptr<Database> reader_db_;  // under reader_mutex_
  // kSelectBatch on reader_db_, prepared once; reset after each use so no snapshot stays open.
  std::unique_ptr<Statement> batch_select_;
  const int lock_fd_;  // flock()ed: one writer process per buffer file

  // Queue, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_queued_;
  std::condition_variable group_done_;
  std::vector<Waiter*> waiters_;
  std::vector<InFlight> delivered_;
  std::vector<std::int64_t> delivered_unknown_;
  std::vector<DeadLetterRequest> dead_letters_;
  std::size_t queued_rows_ = 0;
  bool sync_requested_ = false;
  std::chrono::steady_clock::time_point first_queued_at_{};
  bool closing_ = false;
  bool closed_ = false;
  std::mutex close_mutex_;  // close() may race with the destructor's close()
  std::thread writer_thread_;
  Heartbeat writer_heartbeat_{"buffer writer"};

  // Writer-thread state.
  Counts committed_;  // pending rows/bytes as of the last commit
  std::unordered_map<std::string, std::int64_t> topic_ids_, device_ids_;
  std::vector<std::pair<std::int64_t, std::string>> names_added_;  // in the open transaction
  bool dirty_since_maintenance_ = false;
  RateLimitedLog full_log_;

  // Id -> name for every name in the file; grows only.
  mutable std::shared_mutex names_mutex_;
  std::vector<std::string> names_by_id_;

  // Drain side, guarded by reader_mutex_: the highest seq handed out, and seq ranges the
  // writer dropped in its open transaction (still visible to the reader until it commits).
  std::mutex reader_mutex_;
  std::int64_t cursor_ = 0;
  std::deque<InFlight> in_flight_;  // ascending seq; cleared by rewind()
  std::vector<SeqRange> uncommitted_drops_;
};

}  // namespace sensorgate::buffer
