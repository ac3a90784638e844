#include "buffer/device_counts.hpp"

#include <map>
#include <vector>

#include "buffer/schema.hpp"
#include "buffer/segment.hpp"
#include "core/log.hpp"

namespace sensorgate::buffer {
namespace {

constexpr std::string_view kComponent = "buffer";

// Replaces every device's group_stats row with a count of its pending records; inside the
// caller's transaction.
Status<BufferError> count_devices_again(Database& db) {
  const std::string device_kind =
      std::to_string(static_cast<std::int64_t>(schema::NameKind::kDevice));
  if (auto status = db.exec("DELETE FROM group_stats WHERE name_id IN (SELECT id FROM names "
                            "WHERE kind = " +
                            device_kind + ")");
      !status.ok()) {
    return status;
  }
  std::vector<std::int64_t> name_bytes;  // by name id
  {
    Statement names(db, "SELECT id, length(CAST(name AS BLOB)) FROM names");
    int code;
    while ((code = names.step()) == SQLITE_ROW) {
      const auto id = static_cast<std::size_t>(names.column_int(0));
      if (name_bytes.size() <= id) name_bytes.resize(id + 1, 0);
      name_bytes[id] = names.column_int(1);
    }
    if (code != SQLITE_DONE) return sqlite_error(db, code, "reading names");
  }
  auto bytes_of = [&](std::int64_t id) {
    return static_cast<std::size_t>(id) < name_bytes.size() ? name_bytes[id] : 0;
  };
  std::map<std::int64_t, PendingCounts> devices;
  {
    Statement segments(db, schema::sql::kSelectSegmentsFrom);
    segments.bind(1, std::int64_t{0});
    int code;
    while ((code = segments.step()) == SQLITE_ROW) {
      const std::string_view mask = segments.column_blob(2);
      SegmentReader reader(segments.column_blob(3));
      SegmentRecord record;
      for (std::size_t index = 0; reader.next(record); ++index) {
        if (is_done(mask, index)) continue;
        PendingCounts& counts = devices[record.device_id];
        ++counts.pending;
        counts.pending_bytes += bytes_of(record.topic_id) + bytes_of(record.device_id) +
                                static_cast<std::int64_t>(record.value.size());
      }
      if (reader.failed()) return sqlite_error(db, SQLITE_CORRUPT, "a segment of records");
    }
    if (code != SQLITE_DONE) return sqlite_error(db, code, "counting the records");
  }
  Statement insert(db,
                   "INSERT INTO group_stats(name_id, pending, pending_bytes) "
                   "VALUES(?1, ?2, ?3)");
  for (const auto& [id, counts] : devices) {
    insert.bind(1, id);
    insert.bind(2, counts.pending);
    insert.bind(3, counts.pending_bytes);
    if (const int code = insert.step(); code != SQLITE_DONE) {
      return sqlite_error(db, code, "writing the per-device counts");
    }
    insert.reset();
  }
  return {};
}

}  // namespace

void DeviceCounts::ById::add(std::int64_t id, std::int64_t rows, std::int64_t bytes) {
  const auto index = static_cast<std::size_t>(id);
  if (index >= counts.size()) {
    counts.resize(index + 1);
    touched_flag.resize(index + 1);
  }
  counts[index].pending += rows;
  counts[index].pending_bytes += bytes;
  if (touched_flag[index] == 0) {
    touched_flag[index] = 1;
    touched.push_back(id);
  }
}

bool DeviceCounts::ById::has(std::int64_t id) const {
  const auto index = static_cast<std::size_t>(id);
  return index < touched_flag.size() && touched_flag[index] != 0;
}

PendingCounts DeviceCounts::ById::at(std::int64_t id) const {
  const auto index = static_cast<std::size_t>(id);
  return index < counts.size() ? counts[index] : PendingCounts{};
}

void DeviceCounts::ById::clear() {
  for (const std::int64_t id : touched) {
    counts[static_cast<std::size_t>(id)] = {};
    touched_flag[static_cast<std::size_t>(id)] = 0;
  }
  touched.clear();
}

void DeviceCounts::add(std::int64_t device_id, std::int64_t rows, std::int64_t bytes) {
  open_.add(device_id, rows, bytes);
}

void DeviceCounts::discard_open() {
  open_.clear();
}

DeviceCounts::Plan DeviceCounts::plan(bool force, std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  Plan plan;
  const bool due = force || now - last_write_ >= kWriteEvery;
  // A flag left at 1 by changes that cancelled out is cleared by the next write.
  if (held_.empty() && open_.empty() && !(due && flag_in_file_)) return plan;
  if (due) {
    // Held and open changes of one device go into one row.
    auto emit = [&](std::int64_t id, PendingCounts sum) {
      if (sum.pending != 0 || sum.pending_bytes != 0) plan.rows_to_write.emplace_back(id, sum);
    };
    for (const std::int64_t id : held_.touched) {
      PendingCounts sum = held_.at(id);
      const PendingCounts open = open_.at(id);
      sum.pending += open.pending;
      sum.pending_bytes += open.pending_bytes;
      emit(id, sum);
    }
    for (const std::int64_t id : open_.touched) {
      if (!held_.has(id)) emit(id, open_.at(id));
    }
    plan.write = true;
    if (flag_in_file_) plan.flag = 0;
  } else if (!flag_in_file_) {
    plan.flag = 1;
  }
  return plan;
}

Status<BufferError> DeviceCounts::commit_locked(
    const Plan& plan, std::chrono::steady_clock::time_point now,
    const std::function<Status<BufferError>()>& commit) {
  std::lock_guard lock(mutex_);
  auto status = commit();
  if (!status.ok()) return status;  // the caller rolls back and calls discard_open()
  if (plan.flag >= 0) flag_in_file_ = plan.flag == 1;
  if (plan.write) {
    held_.clear();
    last_write_ = now;
  } else {
    for (const std::int64_t id : open_.touched) {
      const PendingCounts change = open_.at(id);
      held_.add(id, change.pending, change.pending_bytes);
    }
  }
  open_.clear();
  return status;
}

void DeviceCounts::forget() {
  std::lock_guard lock(mutex_);
  open_.clear();
  held_.clear();
  flag_in_file_ = false;
  last_write_ = {};
}

bool DeviceCounts::holding() const {
  std::lock_guard lock(mutex_);
  return !held_.empty() || flag_in_file_;
}

Result<BacklogStats, BufferError> DeviceCounts::query_with_held(
    const std::function<Result<BacklogStats, BufferError>()>& query,
    const std::function<std::string(std::int64_t)>& name_of) {
  std::lock_guard lock(mutex_);
  auto stats = query();
  if (!stats.ok()) return stats;
  stats->by_device_behind = false;
  if (held_.empty()) return stats;
  std::map<std::string, PendingCounts> rows;
  for (const GroupStats& group : stats->by_device) {
    rows[group.name] = PendingCounts{static_cast<std::int64_t>(group.pending),
                                     static_cast<std::int64_t>(group.pending_bytes)};
  }
  for (const std::int64_t id : held_.touched) {
    const PendingCounts change = held_.at(id);
    PendingCounts& sum = rows[name_of(id)];
    sum.pending += change.pending;
    sum.pending_bytes += change.pending_bytes;
  }
  stats->by_device.clear();
  for (const auto& [name, counts] : rows) {
    if (counts.pending <= 0) continue;  // as the query: devices with rows pending only
    stats->by_device.push_back(GroupStats{name, static_cast<std::uint64_t>(counts.pending),
                                          static_cast<std::uint64_t>(counts.pending_bytes)});
  }
  return stats;
}

Status<BufferError> set_device_stats_behind(Database& db, std::int64_t value) {
  Statement set(db,
                "INSERT INTO totals(name, value) VALUES(?1, ?2) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  set.bind(1, std::string_view(kDeviceStatsBehind), /*copy=*/false);
  set.bind(2, value);
  if (const int code = set.step(); code != SQLITE_DONE) {
    return sqlite_error(db, code, "updating totals");
  }
  return {};
}

Status<BufferError> rebuild_device_stats_if_behind(Database& db, const std::string& file) {
  const auto behind = db.query_int(std::string("SELECT value FROM totals WHERE name = '") +
                                   kDeviceStatsBehind + "'");
  if (!behind.ok()) return behind.error();
  if (*behind == 0) return {};
  const auto started = std::chrono::steady_clock::now();
  auto status = db.exec("BEGIN IMMEDIATE");
  if (status.ok()) status = count_devices_again(db);
  if (status.ok()) {
    status = db.exec(std::string("UPDATE totals SET value = 0 WHERE name = '") +
                     kDeviceStatsBehind + "'; COMMIT;");
  }
  if (!status.ok()) {
    (void)db.exec("ROLLBACK");
    return status;
  }
  const auto pending = db.query_int(schema::sql::kSelectPending);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log_info(kComponent, "counted the per-device backlog of " + file + " again from its " +
                           (pending.ok() ? std::to_string(*pending) : std::string("?")) +
                           " pending rows (the last stop was unclean) in " +
                           std::to_string(took.count()) + " ms");
  return {};
}

}  // namespace sensorgate::buffer
