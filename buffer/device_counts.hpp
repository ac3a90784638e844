// DeviceCounts: the per-device rows of group_stats are written at most once per kWriteEvery (and
// when the writer goes idle, and at close) instead of in every transaction. Each transaction
// updated one row per distinct device it touched: 5,000 upserts for a group of 5,000 rows over
// 10,000 devices (bench_kafka --devices 10000: fill 219k rows/s against 353k without them,
// drain 6.25 CPU s per million rows against 5.32). The per-topic rows and the totals stay exact
// in every transaction.
//
// The device changes committed but not yet written are held here. While any are, the file's
// totals row `device_stats_behind` is 1, so an open after a crash rebuilds the per-device rows
// from the records (rebuild_device_stats()). stats() in the writing process adds the held changes
// (query_with_held()) and is exact; another process (sensorgate backlog) reads per-device rows at
// most kWriteEvery behind the totals, and BacklogStats::by_device_behind says so.
//
// Thread safety: add(), discard_open(), plan(), commit_locked() and forget() by the holder of the
// buffer's commit turn only; query_with_held() and holding() from any thread. A COMMIT and a
// query_with_held() serialise, so a reader sees a snapshot of the file together with exactly the
// held changes that belong to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer/sqlite.hpp"

namespace sensorgate::buffer {

struct PendingCounts {
  std::int64_t pending = 0;
  std::int64_t pending_bytes = 0;
};

class DeviceCounts {
 public:
  static constexpr std::chrono::seconds kWriteEvery{1};

  // What the open transaction does with the per-device rows, decided by plan().
  struct Plan {
    bool write = false;  // rows_to_write go into group_stats
    std::vector<std::pair<std::int64_t, PendingCounts>> rows_to_write;  // non-zero changes
    std::int64_t flag = -1;  // the value to store in device_stats_behind; -1: leave it
  };

  // A change of the open transaction to device `device_id`'s pending rows and bytes.
  void add(std::int64_t device_id, std::int64_t rows, std::int64_t bytes);
  // The open transaction rolled back: forgets its changes.
  void discard_open();

  // For the open transaction: write the held changes and its own when kWriteEvery has passed
  // since the last write (always with `force`), else hold them.
  Plan plan(bool force, std::chrono::steady_clock::time_point now) const;

  // Runs `commit` (the transaction's COMMIT) so that no query_with_held() sees the file between
  // it and the update of what is held; with success, applies `plan`: the held changes and the
  // transaction's own are written, or the transaction's are added to the held ones.
  Status<BufferError> commit_locked(const Plan& plan, std::chrono::steady_clock::time_point now,
                                    const std::function<Status<BufferError>()>& commit);

  // A fresh file (after a quarantine): nothing is held, nothing is behind.
  void forget();
  // Changes are held, or the file still says its rows are behind.
  bool holding() const;

  // Runs `query` (a read of the file) and adds the held changes to its by_device rows, naming
  // devices with `name_of`; keeps the rows sorted by name and those with rows pending only.
  Result<BacklogStats, BufferError> query_with_held(
      const std::function<Result<BacklogStats, BufferError>()>& query,
      const std::function<std::string(std::int64_t)>& name_of);

 private:
  // Counts by device name id (ids are the dense rowids of the names table), with the ids
  // touched since the last clear(): one index per row, no hashing or allocation.
  struct ById {
    std::vector<PendingCounts> counts;
    std::vector<char> touched_flag;
    std::vector<std::int64_t> touched;
    void add(std::int64_t id, std::int64_t rows, std::int64_t bytes);
    bool has(std::int64_t id) const;          // touched since the last clear()
    PendingCounts at(std::int64_t id) const;  // zero when untouched
    void clear();
    bool empty() const { return touched.empty(); }
  };

  ById open_;                 // the open transaction's changes; commit turn only
  mutable std::mutex mutex_;  // guards held_, flag_in_file_, last_write_; held across a COMMIT
  ById held_;
  bool flag_in_file_ = false;  // device_stats_behind is 1 in the committed file
  std::chrono::steady_clock::time_point last_write_{};
};

// The name of the totals row that says per-device rows are behind (1) or exact (0).
inline constexpr const char* kDeviceStatsBehind = "device_stats_behind";

// Stores `value` in the totals row device_stats_behind, in the open transaction.
Status<BufferError> set_device_stats_behind(Database& db, std::int64_t value);

// When the file says its per-device rows are behind (a crash while changes were held), counts
// them again from the records in one transaction and clears the flag; logs what it did. Does
// nothing otherwise.
Status<BufferError> rebuild_device_stats_if_behind(Database& db, const std::string& file);

}  // namespace sensorgate::buffer
