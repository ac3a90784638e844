#include "buffer/sqlite_buffer.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>

#include "buffer/alert_query.hpp"
#include "buffer/backlog_query.hpp"
#include "buffer/files.hpp"
#include "buffer/open_check.hpp"
#include "buffer/quarantine.hpp"
#include "buffer/schema.hpp"
#include "core/units.hpp"

namespace sensorgate::buffer {
namespace {

constexpr std::string_view kComponent = "buffer";
// How long the writer waits without work before it checkpoints the WAL and vacuums.
constexpr auto kIdleBeforeMaintenance = std::chrono::seconds(1);

std::int64_t record_bytes(const Record& record) {
  return static_cast<std::int64_t>(record.topic.size() + record.key.size() + record.value.size());
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error<BufferError> closed_error() {
  return make_error(BufferError::kClosed, "the buffer is closed");
}

bool is_disk_full_code(int code) {
  return (code & 0xff) == SQLITE_FULL;
}

// Pages the writer vacuums per transaction while the disk is full: each step needs about as
// much WAL space, which must fit in what the reserve gave back.
int vacuum_step_pages(Bytes reserve) {
  return static_cast<int>(std::clamp<std::uint64_t>(reserve.count / 4096 / 4, 16, 2000));
}

// What append_some() writes per transaction, and the WAL size that triggers a checkpoint: a
// quarter of the reserve each, so that the WAL a checkpoint folds into the database on a full
// disk (about the two together) fits in the reserve with room to spare.
std::int64_t group_bytes_for(Bytes reserve) {
  return static_cast<std::int64_t>(
      std::clamp<std::uint64_t>(reserve.count / 4, 256 << 10, 64 << 20));
}

// A fresh file after a quarantine starts its seqs above every seq the old file may have handed
// out; when the old file could not tell, above the time in microseconds, which no buffer
// reaches by counting.
std::int64_t seq_floor_after(std::int64_t last_seq) {
  if (last_seq >= 0) return last_seq;
  return now_ns() / 1000;
}

// Takes an exclusive flock on the database file; -1 with `error` set when another process
// holds it or the file cannot be opened.
int lock_database_file(const std::filesystem::path& path,
                       std::optional<Error<BufferError>>& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = make_error(BufferError::kIo,
                       "cannot open buffer file " + path.string() + ": " + std::strerror(errno));
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    error = make_error(BufferError::kInUse,
                       "buffer file " + path.string() +
                           " is in use by another sensorgate process; stop it first, or give "
                           "this one another buffer.path");
    return -1;
  }
  return fd;
}

}  // namespace

void SqliteBuffer::Deltas::add(std::int64_t topic_id, std::int64_t device_id, std::int64_t rows,
                               std::int64_t bytes) {
  Counts& topic = by_topic[topic_id];
  topic.pending += rows;
  topic.pending_bytes += bytes;
  by_device->add(device_id, rows, bytes);
  total.pending += rows;
  total.pending_bytes += bytes;
}

const char* drop_reason_label(DropReason reason) {
  switch (reason) {
    case DropReason::kCap:
      return "cap";
    case DropReason::kNotCommittedAtStop:
      return "not_committed_at_stop";
    case DropReason::kCommitFailed:
      return "commit_failed";
    case DropReason::kStopping:
      return "stopping";
    case DropReason::kAlertQueueFull:
      return "alert_queue_full";
    case DropReason::kAlertAfterStop:
      return "alert_after_stop";
    case DropReason::kAlertStoreFailed:
      return "alert_store_failed";
  }
  return "cap";
}

Result<SqliteBuffer::Files, BufferError> SqliteBuffer::open_files(const Options& options,
                                                                  std::int64_t seq_floor) {
  const auto& path = options.path;
  std::error_code fs_error;
  const bool is_new =
      !std::filesystem::exists(path, fs_error) || std::filesystem::file_size(path, fs_error) == 0;
  if (auto created = create_private_file(path); !created.ok()) return created.error();
  std::optional<Error<BufferError>> lock_error;
  const int lock_fd = lock_database_file(path, lock_error);
  if (lock_fd < 0) return *lock_error;
  auto fail = [lock_fd](Error<BufferError> error) {
    ::close(lock_fd);
    return error;
  };
  constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  auto writer = std::make_unique<Database>(path, kFlags);
  if (writer->open_code() != SQLITE_OK) {
    return fail(
        sqlite_error(*writer, writer->open_code(), "cannot open buffer file " + path.string()));
  }
  if (auto status = writer->exec("PRAGMA busy_timeout = 5000"); !status.ok()) {
    return fail(status.error());
  }
  if (auto status = schema::prepare(*writer, path, /*read_only=*/false); !status.ok()) {
    return fail(status.error());
  }
  if (is_new) {
    if (auto status = schema::set_seq_floor(*writer, seq_floor); !status.ok()) {
      return fail(status.error());
    }
  }
  const std::int64_t checkpoint_pages = group_bytes_for(options.reserve_bytes) / 4096;
  if (auto status = schema::configure_writer(*writer, options.durability, checkpoint_pages);
      !status.ok()) {
    return fail(status.error());
  }
  if (options.max_page_count > 0) {
    const auto pragma = "PRAGMA max_page_count = " + std::to_string(options.max_page_count);
    if (auto status = writer->exec(pragma); !status.ok()) return fail(status.error());
  }
  auto reader = std::make_unique<Database>(path, kFlags);
  if (reader->open_code() != SQLITE_OK) {
    return fail(
        sqlite_error(*reader, reader->open_code(), "cannot open buffer file " + path.string()));
  }
  (void)reader->exec("PRAGMA busy_timeout = 5000");
  return Files{std::move(writer), std::move(reader), lock_fd};
}

Result<std::unique_ptr<Buffer>, BufferError> Buffer::open(const Options& options) {
  const auto& path = options.path;
  if (path.has_parent_path()) {
    if (auto created = create_private_directories(path.parent_path()); !created.ok()) {
      return created.error();
    }
  }
  // Locked before the checks, so that no other sensorgate writes while they look.
  std::optional<Error<BufferError>> lock_error;
  std::error_code fs_error;
  const int check_lock =
      std::filesystem::exists(path, fs_error) ? lock_database_file(path, lock_error) : -1;
  if (lock_error) return *lock_error;
  auto verdict = check_existing_file(path, options.quick_check_budget);
  std::int64_t seq_floor = 0;
  if (verdict.ok() && verdict->quarantine) {
    // Rows of a file beside a foreign WAL are counted from the file alone, once moved.
    const std::int64_t rows =
        verdict->reason == QuarantineReason::kWalMismatch ? -1 : verdict->rows;
    const auto moved =
        quarantine_files(path, verdict->reason, rows, /*last_seq=*/-1, verdict->detail);
    if (!moved.ok()) {
      if (check_lock >= 0) ::close(check_lock);
      return moved.error();
    }
    log_error(kComponent, "buffer file " + path.string() + " cannot be used safely; moved it to " +
                              describe(*moved) + ". Starting a fresh buffer; see " +
                              moved->database.string() + ".note");
    seq_floor = seq_floor_after(moved->last_seq);
  }
  if (check_lock >= 0) ::close(check_lock);
  if (!verdict.ok()) return verdict.error();
  if (verdict->quick_check_cut_short) {
    log_warning(kComponent, "quick_check of " + path.string() + " did not finish within " +
                                std::to_string(options.quick_check_budget.count()) +
                                " ms; the rest of the file is checked as it is used");
  }
  if (const auto warning = free_space_warning(path, options.max_bytes)) {
    log_warning(kComponent, *warning);
  }
  auto files = SqliteBuffer::open_files(options, seq_floor);
  if (!files.ok()) return files.error();
  auto buffer = std::make_unique<SqliteBuffer>(options, std::move(files).value());
  if (auto status = buffer->load_state(); !status.ok()) return status.error();
  return std::unique_ptr<Buffer>(std::move(buffer));
}

SqliteBuffer::SqliteBuffer(const Options& options, Files files)
    : options_(options),
      writer_db_(std::move(files.writer)),
      reader_db_(std::move(files.reader)),
      lock_fd_(files.lock_fd),
      full_log_(LogLevel::kWarning, std::string(kComponent)),
      commit_log_(LogLevel::kError, std::string(kComponent)),
      disk_log_(LogLevel::kWarning, std::string(kComponent)),
      group_bytes_(group_bytes_for(options.reserve_bytes)) {}

SqliteBuffer::~SqliteBuffer() {
  close();
  writer_db_.reset();
  reader_db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status<BufferError> SqliteBuffer::load_state() {
  // 2 = FULL (an fsync per commit), 1 = NORMAL.
  const auto synchronous = writer_db_->query_int("PRAGMA synchronous");
  if (!synchronous.ok()) return synchronous.error();
  writer_durability_ = *synchronous >= 2 ? Durability::kPower : Durability::kProcess;
  Statement names(*writer_db_, schema::sql::kSelectNames);
  Statement kinds(*writer_db_, "SELECT kind FROM names WHERE id = ?1");
  int code;
  while ((code = names.step()) == SQLITE_ROW) {
    const std::int64_t id = names.column_int(0);
    std::string name(names.column_text(1));
    kinds.bind(1, id);
    if (kinds.step() != SQLITE_ROW) return sqlite_error(*writer_db_, SQLITE_CORRUPT, "names");
    const bool is_topic =
        kinds.column_int(0) == static_cast<std::int64_t>(schema::NameKind::kTopic);
    kinds.reset();
    (is_topic ? topic_ids_ : device_ids_)[name] = id;
    if (names_by_id_.size() <= static_cast<std::size_t>(id)) names_by_id_.resize(id + 1);
    names_by_id_[id] = std::move(name);
  }
  if (code != SQLITE_DONE) return sqlite_error(*writer_db_, code, "reading names");
  if (auto rebuilt = rebuild_device_stats_if_behind(*writer_db_, options_.path.string());
      !rebuilt.ok()) {
    return rebuilt.error();
  }
  auto stats = query_backlog(*writer_db_, options_.path);
  if (!stats.ok()) return stats.error();
  committed_.pending = static_cast<std::int64_t>(stats->pending);
  committed_.pending_bytes = static_cast<std::int64_t>(stats->pending_bytes);
  const auto highest_seq = writer_db_->query_int(schema::sql::kSelectHighestSeq);
  if (!highest_seq.ok()) return highest_seq.error();
  max_seq_ = std::max(max_seq_, *highest_seq);
  if (!writer_thread_.joinable()) {
    if (options_.reserve_bytes.count > 0) {
      if (auto reserve = create_reserve(options_.path, options_.reserve_bytes); !reserve.ok()) {
        log_warning(kComponent, reserve.error().message +
                                    "; without it a full disk may not drain until space is freed");
      }
    }
    writer_thread_ = std::thread([this] { run_writer(); });
    pthread_setname_np(writer_thread_.native_handle(), "buffer-writer");
  }
  return {};
}

Result<SeqRange, BufferError> SqliteBuffer::append(std::span<const Record> records) {
  if (records.empty()) return SeqRange{};
  Waiter waiter;
  waiter.records = records;
  waiter.at_cap = AtCap::kStoreWhatFits;  // with prefix_allowed false: all or nothing
  waiter.commit_at_once = true;
  commit_and_wait(waiter);
  if (waiter.failure) return *waiter.failure;
  return waiter.range;
}

Result<PartialAppend, BufferError> SqliteBuffer::append_some(
    std::span<const Record> records, std::chrono::steady_clock::time_point received_at,
    AtCap at_cap) {
  if (records.empty()) return PartialAppend{};
  Waiter waiter;
  waiter.records = records;
  waiter.at_cap = at_cap;
  waiter.prefix_allowed = true;
  commit_and_wait(waiter, received_at);
  if (waiter.failure) return *waiter.failure;
  return PartialAppend{waiter.stored, waiter.range};
}

Status<BufferError> SqliteBuffer::record_dropped(std::uint64_t rows, DropReason reason) {
  if (rows == 0) return {};
  Waiter waiter;
  waiter.dropped = rows;
  waiter.drop_reason = reason;
  commit_and_wait(waiter);
  if (waiter.failure) return *waiter.failure;
  return {};
}

Status<BufferError> SqliteBuffer::store_dead_letter(const Record& record,
                                                    const std::string& error) {
  Waiter waiter;
  waiter.records = std::span<const Record>(&record, 1);
  waiter.dead_letter_error = &error;
  waiter.commit_at_once = true;
  commit_and_wait(waiter);
  if (waiter.failure) return *waiter.failure;
  return {};
}

Result<SeqRange, BufferError> SqliteBuffer::append_alert(const AlertRow& alert,
                                                         const Record& record) {
  Waiter waiter;
  waiter.records = std::span<const Record>(&record, 1);
  waiter.alert = &alert;
  commit_and_wait(waiter);
  if (waiter.failure) return *waiter.failure;
  return waiter.range;
}

void SqliteBuffer::commit_and_wait(Waiter& waiter,
                                   std::chrono::steady_clock::time_point received_at) {
  std::unique_lock lock(mutex_);
  if (closing_) {
    waiter.failure = closed_error();
    return;
  }
  if (failed_closed_) {
    waiter.failure = *failed_closed_;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto arrived =
      received_at == std::chrono::steady_clock::time_point{} ? now : std::min(received_at, now);
  first_queued_at_ = waiters_.empty() ? arrived : std::min(first_queued_at_, arrived);
  waiters_.push_back(&waiter);
  queued_rows_ += waiter.records.size();
  if (!waiter.commit_at_once) {
    work_queued_.notify_one();
    group_done_.wait(lock, [&] { return waiter.done; });
    return;
  }
  // The caller waits for this commit anyway: when no group is running it commits on its own
  // thread (with whatever else is queued), which spares the two thread switches of a hand-off
  // to the writer. Otherwise it waits for the running group; when that ends without it, the
  // turn is free and it takes it.
  commit_at_once_ = true;
  while (!waiter.done) {
    if (committing_) {
      group_done_.wait(lock);
    } else {
      run_group(lock);
    }
  }
}

Result<std::vector<AlertRow>, BufferError> SqliteBuffer::firing_alerts() {
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  if (broken_reader()) return broken_error();
  auto alerts = query_alerts(*reader_db_, schema::sql::kSelectFiringAlerts, {});
  if (!alerts.ok()) note_reader_corruption(alerts.error());
  return alerts;
}

Status<BufferError> SqliteBuffer::sync() {
  Waiter waiter;
  waiter.commit_at_once = true;
  waiter.flush_deliveries = true;
  commit_and_wait(waiter);
  if (waiter.failure) return *waiter.failure;
  return {};
}

Status<BufferError> SqliteBuffer::mark_delivered(std::span<const std::int64_t> seqs) {
  if (seqs.empty()) return {};
  // Both locks at once (the order next_batch() takes them), so a row found in flight goes
  // straight into the writer's queue: no sorted copy of the seqs and no list of found rows per
  // call. Those cost ~500 instructions per row and, at 10,000 rows a call, large allocations
  // that made glibc consolidate its fast bins first (callgrind, bench_kafka).
  std::lock_guard reader_lock(reader_mutex_);
  std::lock_guard lock(mutex_);
  if (closing_) return closed_error();
  if (failed_closed_) return *failed_closed_;
  const std::size_t queued_before = queued_deliveries();
  if (queued_before == 0) first_delivery_at_ = std::chrono::steady_clock::now();
  if (delivered_.capacity() < delivered_.size() + seqs.size()) {
    delivered_.reserve(std::max(2 * delivered_.capacity(), delivered_.size() + seqs.size()));
  }
  for (const std::int64_t seq : seqs) {
    if (InFlight* row = in_flight_.find(seq); row != nullptr && !row->delivered) {
      row->delivered = true;
      delivered_.push_back(*row);
    } else {
      delivered_unknown_.push_back(seq);
    }
  }
  in_flight_.drop_reported_front();
  notify_writer_of_deliveries(queued_before);
  return {};
}

Status<BufferError> SqliteBuffer::dead_letter(std::int64_t seq, const std::string& error) {
  {
    std::lock_guard lock(reader_mutex_);
    if (InFlight* row = in_flight_.find(seq); row != nullptr) row->delivered = true;
    in_flight_.drop_reported_front();
  }
  std::lock_guard lock(mutex_);
  if (closing_) return closed_error();
  if (failed_closed_) return *failed_closed_;
  const std::size_t queued_before = queued_deliveries();
  if (queued_before == 0) first_delivery_at_ = std::chrono::steady_clock::now();
  dead_letters_.push_back(DeadLetterRequest{seq, error, now_ns()});
  notify_writer_of_deliveries(queued_before);
  return {};
}

Status<BufferError> SqliteBuffer::next_batch(std::size_t max_rows, RecordBatch& out) {
  out.clear();
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  if (broken_reader()) return broken_error();
  Statement select(*reader_db_, schema::sql::kSelectSegmentsFrom);  // prepared once, then cached
  if (!select.prepared()) {
    return sqlite_error(*reader_db_, select.prepare_code(), "reading a batch");
  }
  select.bind(1, resume_from_);
  std::shared_lock names_lock(names_mutex_);
  auto damaged = [&](std::int64_t seq, const char* what) {
    select.reset();
    auto error = sqlite_error(
        *reader_db_, SQLITE_CORRUPT,
        "record " + std::to_string(seq) + " " + what + " in " + options_.path.string());
    note_reader_corruption(error);
    return error;
  };
  auto dropped_in_open_transaction = [&](std::int64_t seq) {
    return std::any_of(uncommitted_drops_.begin(), uncommitted_drops_.end(),
                       [seq](const SeqRange& r) { return seq >= r.first && seq <= r.last; });
  };
  int code = SQLITE_DONE;
  while (out.size() < max_rows && (code = select.step()) == SQLITE_ROW) {
    const std::int64_t first = select.column_int(0);
    const std::int64_t count = select.column_int(1);
    if (count <= 0 || count > std::numeric_limits<std::int32_t>::max()) {
      return damaged(first, "starts a segment of an impossible record count");
    }
    resume_from_ = first + count;
    const std::string_view mask = select.column_blob(2);
    SegmentReader reader(select.column_blob(3));
    SegmentRecord stored;
    std::int64_t index = 0;
    for (; index < count; ++index) {
      const std::int64_t seq = first + index;
      if (out.size() == max_rows) {
        resume_from_ = first;  // the rest of this segment comes next time
        break;
      }
      if (!reader.next(stored)) return damaged(seq, "is missing from its segment");
      if (seq <= cursor_ || is_done(mask, static_cast<std::size_t>(index)) ||
          dropped_in_open_transaction(seq)) {
        continue;
      }
      const auto topic_id = static_cast<std::size_t>(stored.topic_id);
      const auto device_id = static_cast<std::size_t>(stored.device_id);
      if (topic_id >= names_by_id_.size() || device_id >= names_by_id_.size()) {
        return damaged(seq, "names");
      }
      StoredRecord& row = out.add();
      row.seq = seq;
      Record& record = row.record;
      record.topic.assign(names_by_id_[topic_id]);
      record.key.assign(names_by_id_[device_id]);
      record.ts_ns = stored.ts_ns;
      record.value.assign(stored.value);
      cursor_ = seq;
      in_flight_.add(InFlight{
          seq, stored.topic_id, stored.device_id,
          static_cast<std::int64_t>(record.topic.size() + record.key.size() + stored.value.size()),
          first, static_cast<std::int32_t>(count)});
    }
    if (index == count && reader.next(stored)) return damaged(first + count, "beyond its segment");
    if (reader.failed()) return damaged(first + index, "is malformed");
  }
  select.reset();  // ends the read transaction: a pinned snapshot would stop WAL checkpoints
  if (code != SQLITE_DONE && code != SQLITE_ROW) {
    auto error = sqlite_error(*reader_db_, code, "reading a batch from " + options_.path.string());
    note_reader_corruption(error);
    return error;
  }
  return {};
}

std::uint64_t SqliteBuffer::records_generation() const {
  std::lock_guard lock(mutex_);
  return records_generation_;
}

void SqliteBuffer::wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  records_committed_.wait_for(lock, timeout,
                              [&] { return records_generation_ != seen || closing_; });
}

void SqliteBuffer::rewind() {
  std::lock_guard lock(reader_mutex_);
  cursor_ = 0;
  resume_from_ = 0;
  in_flight_.clear();
}

Result<BacklogStats, BufferError> SqliteBuffer::stats() {
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  if (broken_reader()) return broken_error();
  auto stats = device_counts_.query_with_held(
      [&] { return query_backlog(*reader_db_, options_.path); },
      [&](std::int64_t id) {
        std::shared_lock names_lock(names_mutex_);
        return static_cast<std::size_t>(id) < names_by_id_.size() ? names_by_id_[id]
                                                                  : std::string();
      });
  if (!stats.ok()) note_reader_corruption(stats.error());
  return stats;
}

bool SqliteBuffer::is_corruption(const Error<BufferError>& error) {
  return error.code == BufferError::kCorrupt || error.code == BufferError::kNotABuffer;
}

void SqliteBuffer::note_reader_corruption(const Error<BufferError>& error) {
  if (!is_corruption(error)) return;
  std::lock_guard lock(mutex_);
  if (!reader_corruption_) reader_corruption_ = error.message;
  work_queued_.notify_one();
}

void SqliteBuffer::close() {
  std::lock_guard close_lock(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    work_queued_.notify_one();
    records_committed_.notify_all();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  std::lock_guard lock(mutex_);
  closed_ = true;
}

bool SqliteBuffer::has_work() const {
  return !waiters_.empty() || !delivered_.empty() || !delivered_unknown_.empty() ||
         !dead_letters_.empty() || reader_corruption_.has_value();
}

std::size_t SqliteBuffer::queued_deliveries() const {
  return delivered_.size() + delivered_unknown_.size() + dead_letters_.size();
}

bool SqliteBuffer::deliveries_due(std::chrono::steady_clock::time_point now) const {
  const std::size_t queued = queued_deliveries();
  // disk_full_ is the turn holder's; callers hold the turn or see it free (under mutex_).
  return queued > 0 &&
         (closing_ || disk_full_ || reader_corruption_.has_value() ||
          queued >= options_.commit_max_rows || now >= first_delivery_at_ + options_.delivery_hold);
}

void SqliteBuffer::notify_writer_of_deliveries(std::size_t queued_before) {
  // The writer times the hold from first_delivery_at_: it needs waking only when the queue
  // starts or its size makes the deliveries due, not for every delivery report.
  const std::size_t queued = queued_deliveries();
  if (queued_before == 0 ||
      (queued_before < options_.commit_max_rows && queued >= options_.commit_max_rows)) {
    work_queued_.notify_one();
  }
}

void SqliteBuffer::run_writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Failed closed, the writer still answers every waiter but no longer vouches for itself:
    // the watchdog sees a stale writer and systemd restarts the gateway. While a caller holds
    // the commit turn, that caller beats when its group is done: a commit stuck on any thread
    // stops the beats.
    if (!failed_closed_ && !committing_) writer_heartbeat_.beat();
    if (committing_) {
      // What the caller leaves queued is the writer's again once it is done; deliveries it
      // leaves are due at the end of their hold (a group that starts later takes them).
      const auto now = std::chrono::steady_clock::now();
      auto until = now + Heartbeat::kMaxIdle;
      const auto deliveries_at = first_delivery_at_ + options_.delivery_hold;
      const bool had_deliveries = queued_deliveries() > 0;
      if (had_deliveries && deliveries_at > now) until = std::min(until, deliveries_at);
      // Deliveries queued meanwhile start a hold: the deadline is taken again.
      work_queued_.wait_until(lock, until, [&] {
        return !committing_ || (!had_deliveries && queued_deliveries() > 0);
      });
      continue;
    }
    if (!has_work()) {
      if (closing_) break;
      if (dirty_since_maintenance_) {
        // Idle means no group for kIdleBeforeMaintenance, also none committed by a caller.
        const bool woke = work_queued_.wait_until(lock, last_group_at_ + kIdleBeforeMaintenance,
                                                  [&] { return has_work() || closing_; });
        if (!woke && !committing_ &&
            std::chrono::steady_clock::now() >= last_group_at_ + kIdleBeforeMaintenance) {
          committing_ = true;  // maintenance uses the write connection too
          lock.unlock();
          // Idle, and not on the disk-full path or at close: the caches are not needed now.
          if (maintain_when_idle()) release_memory();
          lock.lock();
          release_turn();
        }
      } else {
        work_queued_.wait_for(lock, Heartbeat::kMaxIdle, [&] { return has_work() || closing_; });
      }
      continue;
    }
    // Gather a group: until enough rows are queued, the oldest waiter has waited
    // commit_interval, or a caller waits for its commit (append(), sync()). Deliveries wait
    // out delivery_hold (deliveries_due), alone or while groups of appends commit without
    // them: at 1,000 readings/s a delete per commit freed and reused a page each time (7-8
    // WAL frames of the 10 in a group), a few deletes a second free many at once. A delivered
    // row not yet deleted is only sent again after a crash or a rewind, as any row in flight.
    while (queued_rows_ + queued_deliveries() < options_.commit_max_rows && !commit_at_once_ &&
           !closing_) {
      const bool urgent = !waiters_.empty() || reader_corruption_.has_value();
      const auto due = urgent ? first_queued_at_ + options_.commit_interval
                              : first_delivery_at_ + options_.delivery_hold;
      if (std::chrono::steady_clock::now() >= due) break;
      work_queued_.wait_until(lock, due);
      if (committing_ || !has_work()) break;
    }
    // Meanwhile a caller may have taken the turn, or committed everything already; held
    // deliveries alone are no group yet.
    if (committing_ || !has_work()) continue;
    if (waiters_.empty() && !reader_corruption_ &&
        !deliveries_due(std::chrono::steady_clock::now())) {
      continue;
    }
    run_group(lock);
  }
  lock.unlock();
  maintain_when_idle();
}

void SqliteBuffer::run_group(std::unique_lock<std::mutex>& lock) {
  committing_ = true;
  const bool take_deliveries =
      deliveries_due(std::chrono::steady_clock::now()) ||
      std::any_of(waiters_.begin(), waiters_.end(), [](Waiter* w) { return w->flush_deliveries; });
  Group group;
  group.waiters.swap(waiters_);
  if (take_deliveries) {
    group.delivered.swap(delivered_);
    // The queue gets the storage of the group before, so marking rows delivered allocates
    // nothing once the drain runs (commit_group() gives it back).
    delivered_.swap(spare_delivered_);
    group.delivered_unknown.swap(delivered_unknown_);
    group.dead_letters.swap(dead_letters_);
  }
  queued_rows_ = 0;
  commit_at_once_ = false;
  std::optional<std::string> corruption;
  corruption.swap(reader_corruption_);
  lock.unlock();
  if (corruption) {
    // The rows of the queued deliveries went with the old file.
    if (quarantine_and_restart(*corruption)) {
      group.delivered.clear();
      group.delivered_unknown.clear();
      group.dead_letters.clear();
    }
  }
  commit_group(group);
  // A group commit is a round of the writer's work, whichever thread ran it.
  if (!failed_closed_) writer_heartbeat_.beat();
  lock.lock();
  bool stored_records = false;
  for (Waiter* waiter : group.waiters) {
    waiter->done = true;
    stored_records = stored_records || (!waiter->failure && !waiter->records.empty());
  }
  if (stored_records) {
    ++records_generation_;
    records_committed_.notify_all();
  }
  // Deliveries that could not be committed stay queued for the next group; at close they are
  // let go (the rows stay pending and are sent again after a restart).
  if (!closing_ && (!group.delivered.empty() || !group.delivered_unknown.empty() ||
                    !group.dead_letters.empty())) {
    if (queued_deliveries() == 0) first_delivery_at_ = std::chrono::steady_clock::now();
    delivered_.insert(delivered_.end(), group.delivered.begin(), group.delivered.end());
    delivered_unknown_.insert(delivered_unknown_.end(), group.delivered_unknown.begin(),
                              group.delivered_unknown.end());
    for (auto& request : group.dead_letters) dead_letters_.push_back(std::move(request));
  }
  release_turn();
}

void SqliteBuffer::release_turn() {
  committing_ = false;
  last_group_at_ = std::chrono::steady_clock::now();
  group_done_.notify_all();
  // Only wake the writer for what is left: a caller that committed alone costs it nothing,
  // nor do deliveries still in their hold (the writer wakes at its end by itself).
  if (closing_ || !waiters_.empty() || reader_corruption_.has_value() ||
      deliveries_due(last_group_at_)) {
    work_queued_.notify_one();
  }
}

template <class Apply>
Status<BufferError> SqliteBuffer::run_transaction(Apply&& apply, int& code,
                                                  bool write_device_counts) {
  code = SQLITE_OK;
  if (failed_closed_) {
    code = SQLITE_ERROR;
    return *failed_closed_;
  }
  Deltas deltas;
  deltas.by_device = &device_counts_;
  next_seq_ = max_seq_ + 1;
  Status<BufferError> status = writer_db_->run("BEGIN IMMEDIATE");
  if (status.ok()) status = apply(deltas);
  const auto now = std::chrono::steady_clock::now();
  DeviceCounts::Plan devices;
  if (status.ok()) {
    devices = device_counts_.plan(write_device_counts, now);
    status = write_deltas(deltas, devices);
  }
  if (status.ok()) {
    status = device_counts_.commit_locked(devices, now, [&] { return writer_db_->exec("COMMIT"); });
  }
  if (!status.ok()) device_counts_.discard_open();
  if (!status.ok()) {
    code = sqlite3_extended_errcode(writer_db_->handle());
    // A failed BEGIN leaves no transaction to roll back. One that cannot be rolled back would
    // leave this connection inside it, and the next group's BEGIN would fail or, worse, its
    // COMMIT would store what this one half did: the writer fails closed instead.
    if (sqlite3_get_autocommit(writer_db_->handle()) == 0) {
      const Status<BufferError> rolled_back = writer_db_->exec("ROLLBACK");
      if (!rolled_back.ok() || sqlite3_get_autocommit(writer_db_->handle()) == 0) {
        fail_closed(status.error().message, rolled_back.ok()
                                                ? "the connection is still in the transaction"
                                                : rolled_back.error().message);
        code = SQLITE_ERROR;
        status = *failed_closed_;
      }
    }
    for (const auto& [id, name] : names_added_) {
      topic_ids_.erase(name);
      device_ids_.erase(name);
    }
  } else {
    committed_.pending += deltas.total.pending;
    committed_.pending_bytes += deltas.total.pending_bytes;
    max_seq_ = next_seq_ - 1;
    dirty_since_maintenance_ = true;
  }
  names_added_.clear();
  return status;
}

void SqliteBuffer::fail_closed(const std::string& failure, const std::string& rollback_failure) {
  auto error = make_error(BufferError::kIo,
                          "the buffer writer stopped, nothing more is stored until sensorgate "
                          "restarts: a failed transaction (" +
                              failure + ") could not be rolled back (" + rollback_failure + ")");
  log_error(kComponent, error.message);
  std::lock_guard lock(mutex_);
  failed_closed_ = std::move(error);
}

void SqliteBuffer::fail_appends(Group& group, const Error<BufferError>& error) {
  for (Waiter* waiter : group.waiters) {
    if (waiter->records.empty() && waiter->dropped == 0) continue;
    waiter->failure = error;
    waiter->stored = 0;
    waiter->range = {};
  }
}

void SqliteBuffer::commit_group(Group& group) {
  if (failed_closed_) {
    // Queued deliveries are let go as at close: their rows stay pending in the file.
    for (Waiter* waiter : group.waiters) waiter->failure = *failed_closed_;
    group.delivered.clear();
    group.delivered_unknown.clear();
    group.dead_letters.clear();
    return;
  }
  if (broken_ && !quarantine_and_restart("")) {
    const auto error = broken_error();
    for (Waiter* waiter : group.waiters) waiter->failure = error;
    return;
  }
  // Deletes first and in their own transaction: they never wait for, nor fail with, the
  // appends, and on a full disk they are what frees space.
  const bool has_deletes =
      !group.delivered.empty() || !group.delivered_unknown.empty() || !group.dead_letters.empty();
  std::optional<Error<BufferError>> delete_failure;
  if (has_deletes) {
    // In chunks of about group_bytes_ of rows: on a full disk each must fit in the WAL space
    // the reserve gave back, and the WAL is cut back between them.
    std::vector<InFlight> rows;
    rows.swap(group.delivered);
    sort_by_seq(rows);
    std::size_t done = 0;
    bool first = true;
    while (first || done < rows.size()) {
      std::size_t end = done;
      for (std::int64_t bytes = 0;
           end < rows.size() && (end == done || bytes + rows[end].bytes <= group_bytes_); ++end) {
        bytes += rows[end].bytes;
      }
      Group chunk;
      chunk.delivered.assign(rows.begin() + static_cast<std::ptrdiff_t>(done),
                             rows.begin() + static_cast<std::ptrdiff_t>(end));
      if (first) {
        chunk.delivered_unknown.swap(group.delivered_unknown);
        chunk.dead_letters.swap(group.dead_letters);
      }
      int code = SQLITE_OK;
      auto deletes = [&](Deltas& deltas) { return apply_deletes(chunk, deltas); };
      auto status = run_transaction(deletes, code);
      if (!status.ok() && is_disk_full_code(code)) {
        enter_disk_full();
        status = run_transaction(deletes, code);
      }
      if (!status.ok() && is_corruption(status.error()) &&
          quarantine_and_restart(status.error().message)) {
        rows.clear();  // the rows went with the old file
        break;
      }
      if (!status.ok()) {
        commit_log_.log("cannot delete delivered rows from " + options_.path.string() +
                        " (they stay pending and are retried): " + status.error().message);
        delete_failure = status.error();
        // What is left stays queued for the next group.
        group.delivered.assign(rows.begin() + static_cast<std::ptrdiff_t>(done), rows.end());
        if (first) {
          group.delivered_unknown.swap(chunk.delivered_unknown);
          group.dead_letters.swap(chunk.dead_letters);
        }
        break;
      }
      if (disk_full_) (void)writer_db_->exec(schema::sql::kCheckpointTruncate);
      done = end;
      first = false;
    }
    if (!delete_failure && disk_full_) free_space_after_deletes();
    rows.clear();
    if (rows.capacity() > spare_delivered_.capacity()) spare_delivered_.swap(rows);
  }
  const bool has_appends = std::any_of(group.waiters.begin(), group.waiters.end(), [](Waiter* w) {
    return !w->records.empty() || w->dropped > 0;
  });
  if (has_appends) {
    // While the disk stays full, records are refused without trying (an attempt would eat the
    // space the deletes need); drop counts, a few bytes in place, still go in.
    refusing_for_disk_ = disk_full_ && !try_leave_disk_full();
    int code = SQLITE_OK;
    auto appends = [&](Deltas& deltas) { return apply_appends(group, deltas); };
    auto status = run_transaction(appends, code);
    if (!status.ok() && is_corruption(status.error()) &&
        quarantine_and_restart(status.error().message)) {
      status = run_transaction(appends, code);  // the same records, in the fresh file
    }
    if (!status.ok()) {
      if (is_disk_full_code(code)) enter_disk_full();
      commit_log_.log("commit failed, nothing of this group was stored: " + status.error().message);
      fail_appends(group, status.error());
    }
  }
  // sync() promises everything queued before it is committed.
  if (delete_failure) {
    for (Waiter* waiter : group.waiters) {
      if (waiter->records.empty() && waiter->dropped == 0) waiter->failure = *delete_failure;
    }
  }
  std::lock_guard lock(reader_mutex_);
  uncommitted_drops_.clear();
}

Status<BufferError> SqliteBuffer::apply_deletes(Group& group, Deltas& deltas) {
  if (auto status = delete_delivered(group.delivered, deltas); !status.ok()) return status;
  if (auto status = delete_by_seq(group.delivered_unknown, deltas); !status.ok()) return status;
  for (const auto& request : group.dead_letters) {
    if (auto status = move_to_dead_letters(request, deltas); !status.ok()) return status;
  }
  return {};
}

Status<BufferError> SqliteBuffer::apply_appends(Group& group, Deltas& deltas) {
  const auto cap = static_cast<std::int64_t>(options_.max_bytes.count);
  std::int64_t inserted_bytes = 0;
  for (Waiter* waiter : group.waiters) {
    waiter->failure.reset();
    waiter->stored = 0;
    if (waiter->dropped > 0) {
      deltas.dropped[waiter->drop_reason] += static_cast<std::int64_t>(waiter->dropped);
      continue;
    }
    if (waiter->records.empty()) continue;
    if (refusing_for_disk_) {
      waiter->failure =
          make_error(BufferError::kIo, "cannot write to buffer file " + options_.path.string() +
                                           ": the disk is full; new readings wait until delivered "
                                           "rows or the operator free space");
      continue;
    }
    std::size_t count = waiter->records.size();
    if (waiter->prefix_allowed) {
      // A transaction writes at most group_bytes_ of records (at least one): the WAL a
      // checkpoint must fold into a full disk stays within the reserve.
      std::int64_t budget = group_bytes_ - inserted_bytes;
      std::size_t within = 0;
      for (const Record& record : waiter->records) {
        budget -= record_bytes(record);
        if (budget < 0 && within > 0) break;
        ++within;
      }
      count = within;
    }
    if (waiter->alert != nullptr) {
      if (auto status = insert_alert(*waiter->alert); !status.ok()) return status;
    } else if (options_.on_full == OnFull::kReject && waiter->at_cap != AtCap::kStoreAll) {
      // How many records fit: all of them, a prefix (append_some), or none.
      std::int64_t room = cap - (committed_.pending_bytes + deltas.total.pending_bytes);
      std::size_t fits = 0;
      for (const Record& record : waiter->records.first(count)) {
        room -= record_bytes(record);
        if (room < 0) break;
        ++fits;
      }
      const bool nothing_pending = committed_.pending + deltas.total.pending == 0;
      if (fits < count && waiter->prefix_allowed) {
        count = fits == 0 && nothing_pending ? 1 : fits;
      } else if (fits < count) {
        count = 0;
      }
      if (count == 0) {
        waiter->failure = make_error(BufferError::kFull,
                                     "buffer is full (" + format_bytes(options_.max_bytes) +
                                         " pending, buffer.on_full: reject); nothing was stored");
        full_log_.log("buffer is full (" + format_bytes(options_.max_bytes) +
                      "): refusing new readings until Kafka drains the backlog");
        continue;
      }
    }
    if (waiter->dead_letter_error != nullptr) {
      if (auto status = insert_dead_letter(*waiter, deltas); !status.ok()) return status;
    } else if (auto status = insert_records(*waiter, count, deltas); !status.ok()) {
      return status;
    }
    waiter->stored = count;
    for (const Record& record : waiter->records.first(count))
      inserted_bytes += record_bytes(record);
    if (options_.on_full == OnFull::kDropOldest &&
        committed_.pending_bytes + deltas.total.pending_bytes > cap) {
      if (auto status = drop_oldest(deltas); !status.ok()) return status;
    }
  }
  return {};
}

void SqliteBuffer::enter_disk_full() {
  if (!disk_full_ && release_reserve(options_.path)) {
    disk_log_.log("the disk of " + options_.path.string() + " is full: gave back the " +
                  format_bytes(options_.reserve_bytes) + " reserve file " +
                  reserve_path(options_.path).string() +
                  " so that delivered rows can still be deleted; new readings "
                  "wait until there is room again");
  }
  disk_full_ = true;
  // What the WAL holds beyond the end of the database grows the file when it is checkpointed:
  // that is what the reserve is for. Once checkpointed, the WAL is cut back and the deletes
  // reuse its space.
  (void)writer_db_->exec(schema::sql::kCheckpointTruncate);
}

bool SqliteBuffer::try_leave_disk_full() {
  const auto available = free_bytes(options_.path);
  // Room for the reserve and one more reserve's worth of rows, or the first append fills it.
  const std::uint64_t needed = 2 * options_.reserve_bytes.count + (1u << 20);
  if (!available || *available < needed) return false;
  if (options_.reserve_bytes.count > 0 &&
      !create_reserve(options_.path, options_.reserve_bytes).ok()) {
    return false;
  }
  disk_full_ = false;
  disk_log_.log("the disk of " + options_.path.string() +
                " has room again: taking new readings (reserve restored)");
  return true;
}

void SqliteBuffer::free_space_after_deletes() {
  maintain_when_idle(vacuum_step_pages(options_.reserve_bytes));
}

Status<BufferError> SqliteBuffer::delete_delivered(const std::vector<InFlight>& rows,
                                                   Deltas& deltas) {
  std::vector<DoneMark> marks;
  for (std::size_t i = 0; i < rows.size();) {
    const std::int64_t first = rows[i].segment_first;
    marks.clear();
    std::size_t j = i;
    for (; j < rows.size() && rows[j].segment_first == first; ++j) {
      marks.push_back(DoneMark{rows[j].seq - first, rows[j].bytes});
    }
    if (auto status = mark_done(first, rows[i].segment_count, marks, /*fresh=*/true);
        !status.ok()) {
      return status;
    }
    // Every row handed out and not yet reported is still there: drops skip rows handed out,
    // and dead_letter() forgets the row it moves. So the rows tell the aggregates' change.
    deltas.delivered += static_cast<std::int64_t>(j - i);
    for (std::size_t k = i; k < j; ++k) {
      deltas.add(rows[k].topic_id, rows[k].device_id, -1, -rows[k].bytes);
    }
    i = j;
  }
  return {};
}

Status<BufferError> SqliteBuffer::mark_done(std::int64_t first_seq, std::int64_t count,
                                            std::vector<DoneMark>& marks, bool fresh) {
  std::int64_t done = 0, done_bytes = 0;
  std::string mask;
  bool had_progress = false;
  if (!fresh || static_cast<std::int64_t>(marks.size()) < count) {
    Statement progress(*writer_db_, schema::sql::kSelectProgress);
    progress.bind(1, first_seq);
    const int code = progress.step();
    if (code == SQLITE_ROW) {
      had_progress = true;
      done = progress.column_int(0);
      done_bytes = progress.column_int(1);
      mask.assign(progress.column_blob(2));
    } else if (code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "reading the progress of a segment");
    }
  }
  if (!fresh) {
    std::erase_if(marks, [&](const DoneMark& mark) {
      return is_done(mask, static_cast<std::size_t>(mark.index));
    });
  }
  for (const DoneMark& mark : marks) {
    set_done(mask, static_cast<std::size_t>(mark.index));
    ++done;
    done_bytes += mark.bytes;
  }
  if (done >= count) {
    auto remove = [&](const char* sql) -> Status<BufferError> {
      Statement statement(*writer_db_, sql);
      statement.bind(1, first_seq);
      if (const int code = statement.step(); code != SQLITE_DONE) {
        return sqlite_error(*writer_db_, code, "deleting delivered rows");
      }
      return {};
    };
    if (auto status = remove(schema::sql::kDeleteSegment); !status.ok()) return status;
    // Without progress read, none exists: fresh marks of every record mean none was done.
    return had_progress ? remove(schema::sql::kDeleteProgress) : Status<BufferError>{};
  }
  if (marks.empty()) return {};
  Statement upsert(*writer_db_, schema::sql::kUpsertProgress);
  upsert.bind(1, first_seq);
  upsert.bind(2, done);
  upsert.bind(3, done_bytes);
  upsert.bind_blob(4, mask, /*copy=*/false);
  if (const int code = upsert.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "recording delivered rows");
  }
  return {};
}

std::int64_t SqliteBuffer::stored_bytes(const SegmentRecord& record) const {
  std::shared_lock names_lock(names_mutex_);
  auto size_of = [&](std::int64_t id) {
    return static_cast<std::size_t>(id) < names_by_id_.size() ? names_by_id_[id].size() : 0;
  };
  return static_cast<std::int64_t>(size_of(record.topic_id) + size_of(record.device_id) +
                                   record.value.size());
}

bool SqliteBuffer::records_at(std::string_view segment_data, const std::vector<DoneMark>& marks,
                              std::vector<SegmentRecord>& out) const {
  out.clear();
  SegmentReader reader(segment_data);
  SegmentRecord record;
  std::int64_t index = 0;
  for (const DoneMark& mark : marks) {
    for (; index <= mark.index; ++index) {
      if (!reader.next(record)) return false;
    }
    out.push_back(record);
  }
  return true;
}

Status<BufferError> SqliteBuffer::delete_by_seq(std::vector<std::int64_t>& seqs, Deltas& deltas) {
  if (seqs.empty()) return {};
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  std::vector<DoneMark> marks;
  std::vector<SegmentRecord> records;
  for (std::size_t i = 0; i < seqs.size();) {
    Statement holding(*writer_db_, schema::sql::kSelectSegmentHolding);
    holding.bind(1, seqs[i]);
    const int code = holding.step();
    if (code != SQLITE_ROW && code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "finding delivered rows");
    }
    const std::int64_t first = code == SQLITE_ROW ? holding.column_int(0) : 0;
    const std::int64_t count = code == SQLITE_ROW ? holding.column_int(1) : 0;
    marks.clear();
    for (; i < seqs.size() && seqs[i] < first + count; ++i) {
      if (seqs[i] >= first) marks.push_back(DoneMark{seqs[i] - first, 0});
    }
    if (marks.empty()) {
      ++i;  // below every segment, or in a gap between two: gone already
      continue;
    }
    const std::string mask(holding.column_blob(2));
    std::erase_if(marks, [&](const DoneMark& mark) {
      return is_done(mask, static_cast<std::size_t>(mark.index));
    });
    if (!records_at(holding.column_blob(3), marks, records)) {
      return sqlite_error(*writer_db_, SQLITE_CORRUPT,
                          "segment " + std::to_string(first) + " in " + options_.path.string());
    }
    for (std::size_t k = 0; k < marks.size(); ++k) marks[k].bytes = stored_bytes(records[k]);
    holding.reset();
    for (std::size_t k = 0; k < marks.size(); ++k) {
      deltas.add(records[k].topic_id, records[k].device_id, -1, -marks[k].bytes);
      ++deltas.delivered;
    }
    if (auto status = mark_done(first, count, marks, /*fresh=*/false); !status.ok()) return status;
  }
  return {};
}

Status<BufferError> SqliteBuffer::move_to_dead_letters(const DeadLetterRequest& request,
                                                       Deltas& deltas) {
  Statement holding(*writer_db_, schema::sql::kSelectSegmentHolding);
  holding.bind(1, request.seq);
  const int code = holding.step();
  if (code == SQLITE_DONE) return {};  // already gone
  if (code != SQLITE_ROW) return sqlite_error(*writer_db_, code, "moving a row to dead letters");
  const std::int64_t first = holding.column_int(0);
  const std::int64_t index = request.seq - first;
  if (index >= holding.column_int(1) ||
      is_done(holding.column_blob(2), static_cast<std::size_t>(index))) {
    return {};  // already gone
  }
  std::vector<DoneMark> marks{DoneMark{index, 0}};
  std::vector<SegmentRecord> records;
  if (!records_at(holding.column_blob(3), marks, records)) {
    return sqlite_error(*writer_db_, SQLITE_CORRUPT,
                        "segment " + std::to_string(first) + " in " + options_.path.string());
  }
  const SegmentRecord& record = records.front();
  marks.front().bytes = stored_bytes(record);
  Statement insert(*writer_db_, schema::sql::kInsertDeadLetter);
  {
    std::shared_lock names_lock(names_mutex_);
    auto name = [&](std::int64_t id) {
      return static_cast<std::size_t>(id) < names_by_id_.size() ? names_by_id_[id] : std::string();
    };
    insert.bind(1, request.seq);
    insert.bind(2, name(record.topic_id));
    insert.bind(3, name(record.device_id));
  }
  insert.bind(4, record.ts_ns);
  insert.bind_blob(5, record.value);
  insert.bind(6, request.error);
  insert.bind(7, request.failed_at_ns);
  if (const int insert_code = insert.step(); insert_code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, insert_code, "moving a row to dead letters");
  }
  deltas.add(record.topic_id, record.device_id, -1, -marks.front().bytes);
  ++deltas.dead_lettered;
  const std::int64_t count = holding.column_int(1);
  holding.reset();
  return mark_done(first, count, marks, /*fresh=*/false);
}

Result<std::int64_t, BufferError> SqliteBuffer::name_id(std::int64_t kind,
                                                        const std::string& name) {
  auto& ids =
      kind == static_cast<std::int64_t>(schema::NameKind::kTopic) ? topic_ids_ : device_ids_;
  if (const auto found = ids.find(name); found != ids.end()) return found->second;
  Statement insert(*writer_db_, schema::sql::kInsertName);
  insert.bind(1, kind);
  insert.bind(2, name);
  if (const int code = insert.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "storing name " + name);
  }
  const std::int64_t id = sqlite3_last_insert_rowid(writer_db_->handle());
  ids.emplace(name, id);
  names_added_.emplace_back(id, name);
  std::unique_lock lock(names_mutex_);
  if (names_by_id_.size() <= static_cast<std::size_t>(id)) names_by_id_.resize(id + 1);
  names_by_id_[id] = name;
  return id;
}

namespace {

// Rows per INSERT statement of the group stats: one statement of many rows costs far less per
// row than as many one-row statements (statement setup and reset).
constexpr std::size_t kRowsPerStatement = 32;
constexpr int kGroupStatsColumns = 3;

// "<head> VALUES(?,?,?),(?,?,?),... <tail>": kRowsPerStatement rows of `columns` parameters.
std::string many_rows_sql(std::string_view head, int columns, std::string_view tail) {
  std::string row = "(";
  for (int column = 0; column < columns; ++column) row += column == 0 ? "?" : ",?";
  row += ")";
  std::string text = std::string(head) + " VALUES";
  for (std::size_t i = 0; i < kRowsPerStatement; ++i) text += (i == 0 ? "" : ",") + row;
  return text + std::string(tail);
}

const std::string& add_group_stats_sql() {
  static const std::string sql =
      many_rows_sql("INSERT INTO group_stats(name_id, pending, pending_bytes)", kGroupStatsColumns,
                    " ON CONFLICT(name_id) DO UPDATE SET pending = pending + excluded.pending, "
                    "pending_bytes = pending_bytes + excluded.pending_bytes");
  return sql;
}

}  // namespace

Status<BufferError> SqliteBuffer::insert_records(Waiter& waiter, std::size_t count,
                                                 Deltas& deltas) {
  constexpr auto kTopic = static_cast<std::int64_t>(schema::NameKind::kTopic);
  constexpr auto kDevice = static_cast<std::int64_t>(schema::NameKind::kDevice);
  // The records take the next seqs in order, packed into segments (segment.hpp).
  waiter.range.first = next_seq_;
  std::int64_t segment_first = next_seq_, segment_bytes = 0;
  segment_.clear();
  for (const Record& record : waiter.records.first(count)) {
    const auto topic_id = name_id(kTopic, record.topic);
    if (!topic_id.ok()) return topic_id.error();
    const auto device_id = name_id(kDevice, record.key);
    if (!device_id.ok()) return device_id.error();
    if (!segment_.has_room_for(record.value.size())) {
      if (auto status = write_segment(segment_first, segment_bytes); !status.ok()) return status;
      segment_first = next_seq_;
      segment_bytes = 0;
    }
    const std::int64_t bytes = record_bytes(record);
    segment_.add(*topic_id, *device_id, record.ts_ns, record.value);
    segment_bytes += bytes;
    deltas.add(*topic_id, *device_id, 1, bytes);
    ++next_seq_;
  }
  waiter.range.last = next_seq_ - 1;
  return write_segment(segment_first, segment_bytes);
}

Status<BufferError> SqliteBuffer::write_segment(std::int64_t first_seq, std::int64_t bytes) {
  return schema::insert_segment(*writer_db_, first_seq, segment_, bytes,
                                "cannot write to buffer file " + options_.path.string());
}

Status<BufferError> SqliteBuffer::insert_dead_letter(Waiter& waiter, Deltas& deltas) {
  const Record& record = waiter.records.front();
  Statement insert(*writer_db_, schema::sql::kInsertDeadLetter);
  insert.bind(1, next_seq_);
  insert.bind(2, record.topic, /*copy=*/false);
  insert.bind(3, record.key, /*copy=*/false);
  insert.bind(4, record.ts_ns);
  insert.bind_blob(5, record.value, /*copy=*/false);
  insert.bind(6, *waiter.dead_letter_error, /*copy=*/false);
  insert.bind(7, now_ns());
  if (const int code = insert.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "storing a dead letter");
  }
  waiter.range = SeqRange{next_seq_, next_seq_};
  ++next_seq_;
  ++deltas.dead_lettered;
  return {};
}

Status<BufferError> SqliteBuffer::insert_alert(const AlertRow& alert) {
  Statement insert(*writer_db_, schema::sql::kInsertAlert);
  insert.bind(1, alert.ts_ns);
  insert.bind(2, alert.rule);
  insert.bind(3, alert.device);
  insert.bind(4, alert.metric);
  insert.bind(5, alert.severity);
  insert.bind(6, alert.state);
  insert.bind(7, alert.value);
  insert.bind(8, alert.threshold);
  insert.bind(9, alert.message);
  insert.bind(10, alert.raised_at_ns);
  if (const int code = insert.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "storing an alert");
  }
  Statement prune(*writer_db_, schema::sql::kPruneAlerts);
  prune.bind(1, schema::sql::kAlertHistoryRows);
  if (const int code = prune.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "pruning the alert history");
  }
  return {};
}

Status<BufferError> SqliteBuffer::drop_oldest(Deltas& deltas) {
  const auto cap = static_cast<std::int64_t>(options_.max_bytes.count);
  // Drop down to 99% of the cap so that a full buffer drops in chunks, not row by row.
  const std::int64_t to_free =
      committed_.pending_bytes + deltas.total.pending_bytes - (cap - cap / 100);
  std::lock_guard lock(reader_mutex_);
  // Rows already handed to the forwarder are left alone: they may be in Kafka already. The
  // oldest rows after them go, from the segment that holds the first of them on.
  const std::int64_t floor = cursor_;
  std::int64_t start = floor + 1;
  {
    Statement holding(*writer_db_, schema::sql::kSelectSegmentHolding);
    holding.bind(1, floor + 1);
    const int code = holding.step();
    if (code == SQLITE_ROW) start = holding.column_int(0);
    if (code != SQLITE_ROW && code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "choosing rows to drop");
    }
  }
  struct Dropped {
    std::int64_t first_seq;
    std::int64_t count;
    std::vector<DoneMark> marks;
  };
  std::vector<Dropped> segments;
  std::int64_t freed = 0, rows = 0, last = floor;
  {
    Statement select(*writer_db_, schema::sql::kSelectSegmentsFrom);
    select.bind(1, start);
    int code = SQLITE_DONE;
    while (freed < to_free && (code = select.step()) == SQLITE_ROW) {
      Dropped segment{select.column_int(0), select.column_int(1), {}};
      const std::string_view mask = select.column_blob(2);
      SegmentReader reader(select.column_blob(3));
      SegmentRecord record;
      for (std::int64_t index = 0; index < segment.count && freed < to_free; ++index) {
        if (!reader.next(record)) {
          return sqlite_error(
              *writer_db_, SQLITE_CORRUPT,
              "segment " + std::to_string(segment.first_seq) + " in " + options_.path.string());
        }
        const std::int64_t seq = segment.first_seq + index;
        if (seq <= floor || is_done(mask, static_cast<std::size_t>(index))) continue;
        const std::int64_t bytes = stored_bytes(record);
        deltas.add(record.topic_id, record.device_id, -1, -bytes);
        segment.marks.push_back(DoneMark{index, bytes});
        freed += bytes;
        ++rows;
        last = seq;
      }
      if (!segment.marks.empty()) segments.push_back(std::move(segment));
    }
    if (freed < to_free && code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "choosing rows to drop");
    }
  }
  if (rows == 0) return {};
  for (Dropped& segment : segments) {
    if (auto status = mark_done(segment.first_seq, segment.count, segment.marks, /*fresh=*/false);
        !status.ok()) {
      return status;
    }
  }
  uncommitted_drops_.push_back(SeqRange{floor + 1, last});
  deltas.dropped[DropReason::kCap] += rows;
  full_log_.log("buffer is full (" + format_bytes(options_.max_bytes) + "): dropped the " +
                std::to_string(rows) + " oldest unsent readings (buffer.on_full: drop_oldest)");
  return {};
}

Status<BufferError> SqliteBuffer::write_deltas(const Deltas& deltas,
                                               const DeviceCounts::Plan& devices) {
  std::vector<std::pair<std::int64_t, Counts>> changed;
  for (const auto& [id, counts] : deltas.by_topic) {
    if (counts.pending != 0 || counts.pending_bytes != 0) changed.emplace_back(id, counts);
  }
  if (devices.write) {
    changed.insert(changed.end(), devices.rows_to_write.begin(), devices.rows_to_write.end());
  }
  if (devices.flag >= 0) {
    if (auto status = set_device_stats_behind(*writer_db_, devices.flag); !status.ok()) {
      return status;
    }
  }
  for (std::size_t first = 0; first < changed.size();) {
    const std::size_t rows = changed.size() - first >= kRowsPerStatement ? kRowsPerStatement : 1;
    Statement add(*writer_db_, rows == 1 ? std::string_view(schema::sql::kAddGroupStats)
                                         : std::string_view(add_group_stats_sql()));
    for (std::size_t row = 0; row < rows; ++row) {
      const auto& [id, counts] = changed[first + row];
      const int base = static_cast<int>(row) * kGroupStatsColumns;
      add.bind(base + 1, id);
      add.bind(base + 2, counts.pending);
      add.bind(base + 3, counts.pending_bytes);
    }
    if (const int code = add.step(); code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "updating group stats");
    }
    first += rows;
  }
  std::int64_t dropped = 0;
  for (const auto& [reason, rows] : deltas.dropped) dropped += rows;
  // Only a transaction that takes rows out (or dead-letters one on arrival) may remove the
  // segment holding the highest seq, so only such a one records it: the totals page is written
  // then anyway, and appends alone leave it (schema.hpp, kSelectHighestSeq).
  if (deltas.delivered != 0 || dropped != 0 || deltas.dead_lettered != 0) {
    Statement set_last_seq(*writer_db_, schema::sql::kSetLastSeq);
    set_last_seq.bind(1, next_seq_ - 1);
    if (const int code = set_last_seq.step(); code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "updating totals");
    }
  }
  Statement add_total(*writer_db_, schema::sql::kAddTotal);
  const std::pair<const char*, std::int64_t> totals[] = {
      {schema::total::kDelivered, deltas.delivered},
      {schema::total::kDropped, dropped},
      {schema::total::kDeadLettered, deltas.dead_lettered}};
  for (const auto& [name, delta] : totals) {
    if (delta == 0) continue;
    add_total.bind(1, std::string_view(name), /*copy=*/false);
    add_total.bind(2, delta);
    if (const int code = add_total.step(); code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "updating totals");
    }
    add_total.reset();
  }
  if (!deltas.dropped.empty()) {
    Statement upsert(*writer_db_, schema::sql::kUpsertTotal);
    for (const auto& [reason, rows] : deltas.dropped) {
      upsert.bind(1, std::string(schema::total::kDroppedReasonPrefix) + drop_reason_label(reason));
      upsert.bind(2, rows);
      if (const int code = upsert.step(); code != SQLITE_DONE) {
        return sqlite_error(*writer_db_, code, "updating totals");
      }
      upsert.reset();
    }
  }
  return {};
}

bool SqliteBuffer::quarantine_and_restart(const std::string& detail) {
  std::int64_t rows = -1;
  {
    std::lock_guard lock(reader_mutex_);
    std::unique_lock names_lock(names_mutex_);
    if (!broken_) {
      // Connections first: nothing may write the old file once it is moved.
      reader_db_.reset();
      writer_db_.reset();
      ::close(lock_fd_);
      lock_fd_ = -1;
      rows = committed_.pending;
      const auto moved =
          quarantine_files(options_.path, QuarantineReason::kDamaged, rows, max_seq_, detail);
      if (!moved.ok()) {
        log_error(kComponent, "buffer file " + options_.path.string() + " is damaged (" + detail +
                                  ") and cannot be moved aside: " + moved.error().message);
        broken_ = true;
        broken_reason_ = moved.error().message;
        return false;
      }
      log_error(kComponent, "buffer file " + options_.path.string() +
                                " is damaged; stopped writing to it and moved it to " +
                                describe(*moved) + ". Starting a fresh buffer; see " +
                                moved->database.string() + ".note");
    }
    auto files = open_files(options_, seq_floor_after(max_seq_));
    if (!files.ok()) {
      commit_log_.log("cannot start a fresh buffer at " + options_.path.string() + ": " +
                      files.error().message);
      broken_ = true;
      broken_reason_ = files.error().message;
      return false;
    }
    writer_db_ = std::move(files->writer);
    reader_db_ = std::move(files->reader);
    lock_fd_ = files->lock_fd;
    broken_ = false;
    topic_ids_.clear();
    device_ids_.clear();
    names_by_id_.clear();
    names_added_.clear();
    committed_ = {};
    cursor_ = 0;
    resume_from_ = 0;
    in_flight_.clear();
    uncommitted_drops_.clear();
  }
  device_counts_.forget();
  return true;
}

bool SqliteBuffer::broken_reader() const {
  return reader_db_ == nullptr;
}

Error<BufferError> SqliteBuffer::broken_error() const {
  return make_error(BufferError::kIo,
                    "buffer file " + options_.path.string() + " is unavailable: " + broken_reason_);
}

void SqliteBuffer::write_held_device_counts() {
  if (!device_counts_.holding()) return;
  int code = SQLITE_OK;
  auto nothing_else = [](Deltas&) { return Status<BufferError>{}; };
  if (auto status = run_transaction(nothing_else, code, /*write_device_counts=*/true);
      !status.ok()) {
    log_warning(kComponent,
                "cannot write the per-device backlog counts (kept, tried again "
                "later): " +
                    status.error().message);
  }
}

bool SqliteBuffer::maintain_when_idle(int step_pages) {
  if (writer_db_ == nullptr || failed_closed_) {  // broken_: no file; failed closed
    dirty_since_maintenance_ = false;
    return false;
  }
  // On a full disk the WAL space goes to the deletes; the counts wait for room.
  if (!disk_full_) write_held_device_counts();
  dirty_since_maintenance_ = false;
  // Give back the pages of delivered rows so the file shrinks with the backlog, then cut the
  // WAL back to zero: nothing pins it while the writer is idle.
  for (int round = 0; round < 1000; ++round) {
    const auto free_pages = writer_db_->query_int(schema::sql::kFreePages);
    if (!free_pages.ok() || *free_pages < std::min(256, step_pages)) break;
    if (!writer_db_->exec(schema::sql::incremental_vacuum(step_pages)).ok()) break;
    // On a full disk the WAL must give its space back after every step, and the vacuum goes
    // on although work is queued: appends wait for the space it frees.
    if (disk_full_) {
      (void)writer_db_->exec(schema::sql::kCheckpointTruncate);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (has_work()) {
      dirty_since_maintenance_ = true;
      return false;
    }
  }
  if (auto status = writer_db_->exec(schema::sql::kCheckpointTruncate); !status.ok()) {
    log_warning(kComponent, "WAL checkpoint failed: " + status.error().message);
  }
  return true;
}

void SqliteBuffer::release_memory() {
  // A drained backlog leaves both page caches full and the freed heap (here and in librdkafka,
  // whose copies of the sent rows are gone) held by the allocator: idle, the gateway returns
  // them, so RSS after a long outage falls back to its steady size.
  sqlite3_db_release_memory(writer_db_->handle());
  spare_delivered_ = {};
  {
    std::lock_guard lock(mutex_);
    if (delivered_.empty()) delivered_ = {};
  }
  {
    std::lock_guard lock(reader_mutex_);
    if (reader_db_ != nullptr) sqlite3_db_release_memory(reader_db_->handle());
    if (in_flight_.empty()) in_flight_ = InFlightRows{};
  }
  malloc_trim(0);
}

}  // namespace sensorgate::buffer
