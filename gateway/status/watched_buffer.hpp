// WatchedBuffer: the buffer as the ingest pipeline and the alert dispatcher see it, a
// pass-through to the real buffer that remembers, for the status endpoint, what only the write
// path knows: whether the last commit worked (for /healthz) and which alerts were stored
// (sensorgate_alerts_total, the firing ones, the recent ones), without a query per request.
// Every call goes to the wrapped buffer unchanged, with its result.
//
// Thread safety: as buffer::Buffer, every method from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "buffer/buffer.hpp"

namespace sensorgate::status {

// How the last attempt to commit readings ended: the last append or append_some, or a later
// failure of record_dropped or append_alert (which succeed even at the cap, so their success
// says nothing about readings).
struct CommitState {
  enum class Outcome { kNone, kOk, kFull, kFailed };
  Outcome outcome = Outcome::kNone;  // kNone: nothing tried yet
  std::string message;               // the buffer's words, for kFull and kFailed
  std::chrono::steady_clock::time_point at{};
};

// Alert transitions stored since start, and the series firing now (restored at start from the
// alerts table, then kept by every stored transition).
struct AlertActivity {
  // (rule, severity) -> firing transitions stored since start: sensorgate_alerts_total.
  std::map<std::pair<std::string, std::string>, std::uint64_t> raised;
  std::vector<buffer::AlertRow> firing;  // ordered by rule, device, metric
  std::vector<buffer::AlertRow> recent;  // the last kRecentAlerts transitions, newest first
};

class WatchedBuffer final : public buffer::Buffer {
 public:
  static constexpr std::size_t kRecentAlerts = 20;

  // `inner` must outlive this. Reads the firing alerts once (a failure is logged and leaves
  // the list empty until alerts are stored).
  explicit WatchedBuffer(buffer::Buffer& inner);

  CommitState commit_state() const;
  AlertActivity alert_activity() const;

  Result<buffer::SeqRange, buffer::BufferError> append(
      std::span<const buffer::Record> records) override;
  Result<buffer::PartialAppend, buffer::BufferError> append_some(
      std::span<const buffer::Record> records, std::chrono::steady_clock::time_point received_at,
      buffer::AtCap at_cap) override;
  Status<buffer::BufferError> record_dropped(std::uint64_t rows,
                                             buffer::DropReason reason) override;
  Status<buffer::BufferError> store_dead_letter(const buffer::Record& record,
                                                const std::string& error) override;
  Result<buffer::SeqRange, buffer::BufferError> append_alert(const buffer::AlertRow& alert,
                                                             const buffer::Record& record) override;
  Result<std::vector<buffer::AlertRow>, buffer::BufferError> firing_alerts() override;
  using buffer::Buffer::next_batch;
  Status<buffer::BufferError> next_batch(std::size_t max_rows, buffer::RecordBatch& out) override;
  void rewind() override;
  Status<buffer::BufferError> mark_delivered(std::span<const std::int64_t> seqs) override;
  Status<buffer::BufferError> dead_letter(std::int64_t seq, const std::string& error) override;
  Status<buffer::BufferError> sync() override;
  std::uint64_t records_generation() const override;
  void wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) override;
  Result<buffer::BacklogStats, buffer::BufferError> stats() override;
  void close() override;
  const Heartbeat& writer_heartbeat() const override;
  buffer::Durability writer_durability() const override;

 private:
  // Records how a commit attempt ended; `error` is null on success.
  void note_commit(const Error<buffer::BufferError>* error);

  buffer::Buffer& inner_;
  mutable std::mutex mutex_;
  CommitState commit_;
  AlertActivity alerts_;
};

}  // namespace sensorgate::status
