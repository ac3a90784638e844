#include "buffer/sqlite_buffer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "buffer/alert_query.hpp"
#include "buffer/backlog_query.hpp"
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
  for (const std::int64_t id : {topic_id, device_id}) {
    Counts& counts = by_name[id];
    counts.pending += rows;
    counts.pending_bytes += bytes;
  }
  total.pending += rows;
  total.pending_bytes += bytes;
}

Result<std::unique_ptr<Buffer>, BufferError> Buffer::open(const Options& options) {
  const auto& path = options.path;
  std::error_code fs_error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), fs_error);
  if (fs_error) {
    return make_error(BufferError::kIo, "cannot create the directory of buffer file " +
                                            path.string() + ": " + fs_error.message());
  }
  if (std::filesystem::exists(path, fs_error) && std::filesystem::file_size(path, fs_error) > 0) {
    if (auto header = schema::check_file_header(path); !header.ok()) return header.error();
  }
  constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  auto writer = std::make_unique<Database>(path, kFlags | SQLITE_OPEN_CREATE);
  if (writer->open_code() != SQLITE_OK) {
    return sqlite_error(*writer, writer->open_code(), "cannot open buffer file " + path.string());
  }
  std::optional<Error<BufferError>> lock_error;
  const int lock_fd = lock_database_file(path, lock_error);
  if (lock_fd < 0) return *lock_error;
  auto fail = [lock_fd](Error<BufferError> error) {
    ::close(lock_fd);
    return error;
  };
  if (auto status = writer->exec("PRAGMA busy_timeout = 5000"); !status.ok()) {
    return fail(status.error());
  }
  if (auto status = schema::prepare(*writer, path, /*read_only=*/false); !status.ok()) {
    return fail(status.error());
  }
  if (auto status = schema::configure_writer(*writer, options.durability); !status.ok()) {
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
  auto buffer =
      std::make_unique<SqliteBuffer>(options, std::move(writer), std::move(reader), lock_fd);
  if (auto status = buffer->load_state(); !status.ok()) return status.error();
  return std::unique_ptr<Buffer>(std::move(buffer));
}

SqliteBuffer::SqliteBuffer(const Options& options, std::unique_ptr<Database> writer,
                           std::unique_ptr<Database> reader, int lock_fd)
    : options_(options),
      writer_db_(std::move(writer)),
      reader_db_(std::move(reader)),
      lock_fd_(lock_fd),
      full_log_(LogLevel::kWarning, std::string(kComponent)) {}

SqliteBuffer::~SqliteBuffer() {
  close();
  writer_db_.reset();
  batch_select_.reset();  // finalized before its connection closes
  reader_db_.reset();
  ::close(lock_fd_);
}

Status<BufferError> SqliteBuffer::load_state() {
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
  auto stats = query_backlog(*writer_db_, options_.path);
  if (!stats.ok()) return stats.error();
  committed_.pending = static_cast<std::int64_t>(stats->pending);
  committed_.pending_bytes = static_cast<std::int64_t>(stats->pending_bytes);
  writer_thread_ = std::thread([this] { run_writer(); });
  return {};
}

Result<SeqRange, BufferError> SqliteBuffer::append(
    std::span<const Record> records, std::chrono::steady_clock::time_point received_at) {
  if (records.empty()) return SeqRange{};
  Waiter waiter;
  waiter.records = records;
  commit_and_wait(waiter, received_at);
  if (waiter.failure) return *waiter.failure;
  return waiter.range;
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
  const auto now = std::chrono::steady_clock::now();
  const auto arrived =
      received_at == std::chrono::steady_clock::time_point{} ? now : std::min(received_at, now);
  if (!has_work()) {
    first_queued_at_ = arrived;
  } else {
    first_queued_at_ = std::min(first_queued_at_, arrived);
  }
  waiters_.push_back(&waiter);
  queued_rows_ += waiter.records.size();
  work_queued_.notify_one();
  group_done_.wait(lock, [&] { return waiter.done; });
}

Result<std::vector<AlertRow>, BufferError> SqliteBuffer::firing_alerts() {
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  return query_alerts(*reader_db_, schema::sql::kSelectFiringAlerts, {});
}

Status<BufferError> SqliteBuffer::sync() {
  Waiter waiter;
  std::unique_lock lock(mutex_);
  if (closing_) return closed_error();
  waiters_.push_back(&waiter);
  sync_requested_ = true;
  work_queued_.notify_one();
  group_done_.wait(lock, [&] { return waiter.done; });
  if (waiter.failure) return *waiter.failure;
  return {};
}

Status<BufferError> SqliteBuffer::mark_delivered(std::span<const std::int64_t> seqs) {
  if (seqs.empty()) return {};
  std::vector<InFlight> known;
  std::vector<std::int64_t> unknown;
  {
    std::lock_guard lock(reader_mutex_);
    for (const std::int64_t seq : seqs) {
      const auto found =
          std::lower_bound(in_flight_.begin(), in_flight_.end(), seq,
                           [](const InFlight& row, std::int64_t s) { return row.seq < s; });
      if (found != in_flight_.end() && found->seq == seq && !found->delivered) {
        found->delivered = true;
        known.push_back(*found);
      } else {
        unknown.push_back(seq);
      }
    }
    while (!in_flight_.empty() && in_flight_.front().delivered) in_flight_.pop_front();
  }
  std::lock_guard lock(mutex_);
  if (closing_) return closed_error();
  if (!has_work()) first_queued_at_ = std::chrono::steady_clock::now();
  delivered_.insert(delivered_.end(), known.begin(), known.end());
  delivered_unknown_.insert(delivered_unknown_.end(), unknown.begin(), unknown.end());
  queued_rows_ += seqs.size();
  work_queued_.notify_one();
  return {};
}

Status<BufferError> SqliteBuffer::dead_letter(std::int64_t seq, const std::string& error) {
  {
    std::lock_guard lock(reader_mutex_);
    const auto found =
        std::lower_bound(in_flight_.begin(), in_flight_.end(), seq,
                         [](const InFlight& row, std::int64_t s) { return row.seq < s; });
    if (found != in_flight_.end() && found->seq == seq) found->delivered = true;
    while (!in_flight_.empty() && in_flight_.front().delivered) in_flight_.pop_front();
  }
  std::lock_guard lock(mutex_);
  if (closing_) return closed_error();
  if (!has_work()) first_queued_at_ = std::chrono::steady_clock::now();
  dead_letters_.push_back(DeadLetterRequest{seq, error, now_ns()});
  queued_rows_ += 1;
  work_queued_.notify_one();
  return {};
}

Status<BufferError> SqliteBuffer::next_batch(std::size_t max_rows, std::vector<StoredRecord>& out) {
  out.clear();
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  if (!batch_select_) {
    batch_select_ = std::make_unique<Statement>(*reader_db_, schema::sql::kSelectBatch);
  }
  Statement& select = *batch_select_;
  if (!select.prepared()) {
    const int code = select.prepare_code();
    batch_select_.reset();
    return sqlite_error(*reader_db_, code, "reading a batch");
  }
  select.bind(1, cursor_);
  select.bind(2, static_cast<std::int64_t>(max_rows));
  std::shared_lock names_lock(names_mutex_);
  int code;
  while ((code = select.step()) == SQLITE_ROW) {
    const std::int64_t seq = select.column_int(0);
    cursor_ = seq;
    const bool dropped =
        std::any_of(uncommitted_drops_.begin(), uncommitted_drops_.end(),
                    [seq](const SeqRange& r) { return seq >= r.first && seq <= r.last; });
    if (dropped) continue;
    const auto topic_id = static_cast<std::size_t>(select.column_int(1));
    const auto device_id = static_cast<std::size_t>(select.column_int(2));
    if (topic_id >= names_by_id_.size() || device_id >= names_by_id_.size()) {
      select.reset();
      return sqlite_error(*reader_db_, SQLITE_CORRUPT, "record " + std::to_string(seq) + " names");
    }
    const std::string_view value = select.column_blob(4);
    out.push_back(StoredRecord{seq, Record{names_by_id_[topic_id], names_by_id_[device_id],
                                           select.column_int(3), std::string(value)}});
    const auto& record = out.back().record;
    in_flight_.push_back(InFlight{
        seq, static_cast<std::int64_t>(topic_id), static_cast<std::int64_t>(device_id),
        static_cast<std::int64_t>(record.topic.size() + record.key.size() + value.size())});
  }
  select.reset();  // ends the read transaction: a pinned snapshot would stop WAL checkpoints
  if (code != SQLITE_DONE) return sqlite_error(*reader_db_, code, "reading a batch");
  return {};
}

void SqliteBuffer::rewind() {
  std::lock_guard lock(reader_mutex_);
  cursor_ = 0;
  in_flight_.clear();
}

Result<BacklogStats, BufferError> SqliteBuffer::stats() {
  std::lock_guard lock(reader_mutex_);
  {
    std::lock_guard queue_lock(mutex_);
    if (closed_) return closed_error();
  }
  return query_backlog(*reader_db_, options_.path);
}

void SqliteBuffer::close() {
  std::lock_guard close_lock(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    work_queued_.notify_one();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  std::lock_guard lock(mutex_);
  closed_ = true;
}

bool SqliteBuffer::has_work() const {
  return !waiters_.empty() || !delivered_.empty() || !delivered_unknown_.empty() ||
         !dead_letters_.empty();
}

void SqliteBuffer::run_writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_heartbeat_.beat();
    if (!has_work()) {
      if (closing_) break;
      if (dirty_since_maintenance_) {
        const bool woke = work_queued_.wait_for(lock, kIdleBeforeMaintenance,
                                                [&] { return has_work() || closing_; });
        if (!woke) {
          lock.unlock();
          maintain_when_idle();
          lock.lock();
        }
      } else {
        work_queued_.wait_for(lock, Heartbeat::kMaxIdle, [&] { return has_work() || closing_; });
      }
      continue;
    }
    // Gather a group: until enough rows are queued, the oldest has waited commit_interval, or
    // a caller asks to sync.
    work_queued_.wait_until(lock, first_queued_at_ + options_.commit_interval, [&] {
      return queued_rows_ >= options_.commit_max_rows || sync_requested_ || closing_;
    });
    Group group;
    group.waiters.swap(waiters_);
    group.delivered.swap(delivered_);
    group.delivered_unknown.swap(delivered_unknown_);
    group.dead_letters.swap(dead_letters_);
    queued_rows_ = 0;
    sync_requested_ = false;
    lock.unlock();
    commit_group(group);
    lock.lock();
    for (Waiter* waiter : group.waiters) waiter->done = true;
    // Deliveries that could not be committed stay queued for the next group; at close they are
    // let go (the rows stay pending and are sent again after a restart).
    if (!closing_ && (!group.delivered.empty() || !group.delivered_unknown.empty() ||
                      !group.dead_letters.empty())) {
      if (!has_work()) first_queued_at_ = std::chrono::steady_clock::now();
      delivered_.insert(delivered_.end(), group.delivered.begin(), group.delivered.end());
      delivered_unknown_.insert(delivered_unknown_.end(), group.delivered_unknown.begin(),
                                group.delivered_unknown.end());
      queued_rows_ +=
          group.delivered.size() + group.delivered_unknown.size() + group.dead_letters.size();
      for (auto& request : group.dead_letters) dead_letters_.push_back(std::move(request));
    }
    group_done_.notify_all();
  }
  lock.unlock();
  maintain_when_idle();
}

void SqliteBuffer::commit_group(Group& group) {
  Deltas deltas;
  Status<BufferError> status = writer_db_->exec("BEGIN IMMEDIATE");
  if (status.ok()) status = apply_group(group, deltas);
  if (status.ok()) status = write_deltas(deltas);
  if (status.ok()) status = writer_db_->exec("COMMIT");
  if (!status.ok()) {
    (void)writer_db_->exec("ROLLBACK");
    for (const auto& [id, name] : names_added_) {
      topic_ids_.erase(name);
      device_ids_.erase(name);
    }
    log_error(kComponent,
              "commit failed, nothing of this group was stored: " + status.error().message);
    for (Waiter* waiter : group.waiters) waiter->failure = status.error();
  } else {
    committed_.pending += deltas.total.pending;
    committed_.pending_bytes += deltas.total.pending_bytes;
    group.delivered.clear();
    group.delivered_unknown.clear();
    group.dead_letters.clear();
    dirty_since_maintenance_ = true;
  }
  names_added_.clear();
  std::lock_guard lock(reader_mutex_);
  uncommitted_drops_.clear();
}

Status<BufferError> SqliteBuffer::apply_group(Group& group, Deltas& deltas) {
  if (auto status = delete_delivered(group.delivered, deltas); !status.ok()) return status;
  if (auto status = delete_by_seq(group.delivered_unknown, deltas); !status.ok()) return status;
  for (const auto& request : group.dead_letters) {
    if (auto status = move_to_dead_letters(request, deltas); !status.ok()) return status;
  }
  for (Waiter* waiter : group.waiters) {
    if (waiter->records.empty()) continue;
    const std::int64_t bytes = [&] {
      std::int64_t sum = 0;
      for (const Record& record : waiter->records) sum += record_bytes(record);
      return sum;
    }();
    const std::int64_t pending_after =
        committed_.pending_bytes + deltas.total.pending_bytes + bytes;
    if (waiter->alert != nullptr) {
      if (auto status = insert_alert(*waiter->alert); !status.ok()) return status;
    } else if (options_.on_full == OnFull::kReject &&
               pending_after > static_cast<std::int64_t>(options_.max_bytes.count)) {
      waiter->failure = make_error(BufferError::kFull,
                                   "buffer is full (" + format_bytes(options_.max_bytes) +
                                       " pending, buffer.on_full: reject); nothing was stored");
      full_log_.log("buffer is full (" + format_bytes(options_.max_bytes) +
                    "): refusing new readings until Kafka drains the backlog");
      continue;
    }
    if (auto status = insert_records(*waiter, deltas); !status.ok()) return status;
    if (options_.on_full == OnFull::kDropOldest &&
        committed_.pending_bytes + deltas.total.pending_bytes >
            static_cast<std::int64_t>(options_.max_bytes.count)) {
      if (auto status = drop_oldest(deltas); !status.ok()) return status;
    }
  }
  return {};
}

Status<BufferError> SqliteBuffer::delete_delivered(std::vector<InFlight>& rows, Deltas& deltas) {
  if (rows.empty()) return {};
  std::sort(rows.begin(), rows.end(),
            [](const InFlight& a, const InFlight& b) { return a.seq < b.seq; });
  Statement remove(*writer_db_, schema::sql::kDeleteRangeQuiet);
  if (!remove.prepared()) return sqlite_error(*writer_db_, remove.prepare_code(), "deleting");
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i;
    while (j + 1 < rows.size() && rows[j + 1].seq == rows[j].seq + 1) ++j;
    remove.bind(1, rows[i].seq);
    remove.bind(2, rows[j].seq);
    if (const int code = remove.step(); code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code, "deleting delivered rows");
    }
    remove.reset();
    // Every row handed out and not yet reported is still there: drops skip rows handed out,
    // and dead_letter() forgets the row it moves. So the rows tell the aggregates' change.
    deltas.delivered += static_cast<std::int64_t>(j - i + 1);
    for (std::size_t k = i; k <= j; ++k) {
      deltas.add(rows[k].topic_id, rows[k].device_id, -1, -rows[k].bytes);
    }
    i = j + 1;
  }
  return {};
}

Status<BufferError> SqliteBuffer::delete_by_seq(std::vector<std::int64_t>& seqs, Deltas& deltas) {
  if (seqs.empty()) return {};
  std::sort(seqs.begin(), seqs.end());
  Statement remove(*writer_db_, schema::sql::kDeleteRange);
  if (!remove.prepared()) return sqlite_error(*writer_db_, remove.prepare_code(), "deleting");
  for (std::size_t i = 0; i < seqs.size();) {
    std::size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] <= seqs[j] + 1) ++j;
    remove.bind(1, seqs[i]);
    remove.bind(2, seqs[j]);
    int code;
    while ((code = remove.step()) == SQLITE_ROW) {
      deltas.add(remove.column_int(0), remove.column_int(1), -1, -remove.column_int(2));
      ++deltas.delivered;
    }
    if (code != SQLITE_DONE) return sqlite_error(*writer_db_, code, "deleting delivered rows");
    remove.reset();
    i = j + 1;
  }
  return {};
}

Status<BufferError> SqliteBuffer::move_to_dead_letters(const DeadLetterRequest& request,
                                                       Deltas& deltas) {
  Statement copy(*writer_db_, schema::sql::kCopyToDeadLetters);
  copy.bind(1, request.seq);
  copy.bind(2, request.error);
  copy.bind(3, request.failed_at_ns);
  if (const int code = copy.step(); code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "moving a row to dead letters");
  }
  if (sqlite3_changes(writer_db_->handle()) == 0) return {};  // already gone
  Statement remove(*writer_db_, schema::sql::kDeleteRange);
  remove.bind(1, request.seq);
  remove.bind(2, request.seq);
  int code;
  while ((code = remove.step()) == SQLITE_ROW) {
    deltas.add(remove.column_int(0), remove.column_int(1), -1, -remove.column_int(2));
    ++deltas.dead_lettered;
  }
  if (code != SQLITE_DONE) return sqlite_error(*writer_db_, code, "moving a row to dead letters");
  return {};
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

Status<BufferError> SqliteBuffer::insert_records(Waiter& waiter, Deltas& deltas) {
  Statement insert(*writer_db_, schema::sql::kInsertRecord);
  if (!insert.prepared()) return sqlite_error(*writer_db_, insert.prepare_code(), "inserting");
  constexpr auto kTopic = static_cast<std::int64_t>(schema::NameKind::kTopic);
  constexpr auto kDevice = static_cast<std::int64_t>(schema::NameKind::kDevice);
  for (std::size_t i = 0; i < waiter.records.size(); ++i) {
    const Record& record = waiter.records[i];
    const auto topic_id = name_id(kTopic, record.topic);
    if (!topic_id.ok()) return topic_id.error();
    const auto device_id = name_id(kDevice, record.key);
    if (!device_id.ok()) return device_id.error();
    const std::int64_t bytes = record_bytes(record);
    insert.bind(1, *topic_id);
    insert.bind(2, *device_id);
    insert.bind(3, record.ts_ns);
    insert.bind(4, bytes);
    insert.bind_blob(5, record.value, /*copy=*/false);
    if (const int code = insert.step(); code != SQLITE_DONE) {
      return sqlite_error(*writer_db_, code,
                          "cannot write to buffer file " + options_.path.string());
    }
    insert.reset();
    const std::int64_t seq = sqlite3_last_insert_rowid(writer_db_->handle());
    if (i == 0) waiter.range.first = seq;
    waiter.range.last = seq;
    deltas.add(*topic_id, *device_id, 1, bytes);
  }
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
  // Rows already handed to the forwarder are left alone: they may be in Kafka already.
  const std::int64_t floor = cursor_;
  Statement select(*writer_db_, schema::sql::kSelectOldestAfter);
  select.bind(1, floor);
  std::int64_t freed = 0, rows = 0, last = floor;
  int code;
  while (freed < to_free && (code = select.step()) == SQLITE_ROW) {
    last = select.column_int(0);
    deltas.add(select.column_int(1), select.column_int(2), -1, -select.column_int(3));
    freed += select.column_int(3);
    ++rows;
  }
  if (freed < to_free && code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, code, "choosing rows to drop");
  }
  select.reset();
  if (rows == 0) return {};
  Statement remove(*writer_db_, schema::sql::kDeleteAfterUpTo);
  remove.bind(1, floor);
  remove.bind(2, last);
  if (const int delete_code = remove.step(); delete_code != SQLITE_DONE) {
    return sqlite_error(*writer_db_, delete_code, "dropping oldest rows");
  }
  uncommitted_drops_.push_back(SeqRange{floor + 1, last});
  deltas.dropped += rows;
  full_log_.log("buffer is full (" + format_bytes(options_.max_bytes) + "): dropped the " +
                std::to_string(rows) + " oldest unsent readings (buffer.on_full: drop_oldest)");
  return {};
}

Status<BufferError> SqliteBuffer::write_deltas(const Deltas& deltas) {
  if (!deltas.by_name.empty()) {
    Statement add(*writer_db_, schema::sql::kAddGroupStats);
    for (const auto& [id, counts] : deltas.by_name) {
      if (counts.pending == 0 && counts.pending_bytes == 0) continue;
      add.bind(1, id);
      add.bind(2, counts.pending);
      add.bind(3, counts.pending_bytes);
      if (const int code = add.step(); code != SQLITE_DONE) {
        return sqlite_error(*writer_db_, code, "updating group stats");
      }
      add.reset();
    }
  }
  Statement add_total(*writer_db_, schema::sql::kAddTotal);
  const std::pair<const char*, std::int64_t> totals[] = {
      {schema::total::kPending, deltas.total.pending},
      {schema::total::kPendingBytes, deltas.total.pending_bytes},
      {schema::total::kDelivered, deltas.delivered},
      {schema::total::kDropped, deltas.dropped},
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
  return {};
}

void SqliteBuffer::maintain_when_idle() {
  dirty_since_maintenance_ = false;
  // Give back the pages of delivered rows so the file shrinks with the backlog, then cut the
  // WAL back to zero: nothing pins it while the writer is idle.
  for (int round = 0; round < 1000; ++round) {
    const auto free_pages = writer_db_->query_int(schema::sql::kFreePages);
    if (!free_pages.ok() || *free_pages < 256) break;
    if (!writer_db_->exec(schema::sql::kIncrementalVacuum).ok()) break;
    std::lock_guard lock(mutex_);
    if (has_work()) {
      dirty_since_maintenance_ = true;
      return;
    }
  }
  if (auto status = writer_db_->exec(schema::sql::kCheckpointTruncate); !status.ok()) {
    log_warning(kComponent, "WAL checkpoint failed: " + status.error().message);
  }
}

}  // namespace sensorgate::buffer
