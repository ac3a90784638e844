#include "gateway/status/watched_buffer.hpp"

#include <algorithm>
#include <tuple>

#include "core/log.hpp"

namespace sensorgate::status {
namespace {

bool same_series(const buffer::AlertRow& a, const buffer::AlertRow& b) {
  return a.rule == b.rule && a.device == b.device && a.metric == b.metric;
}

bool series_less(const buffer::AlertRow& a, const buffer::AlertRow& b) {
  return std::tie(a.rule, a.device, a.metric) < std::tie(b.rule, b.device, b.metric);
}

template <class R>
const Error<buffer::BufferError>* error_of(const R& result) {
  return result.ok() ? nullptr : &result.error();
}

}  // namespace

WatchedBuffer::WatchedBuffer(buffer::Buffer& inner) : inner_(inner) {
  auto firing = inner_.firing_alerts();
  if (!firing.ok()) {
    log_error("status", "cannot read the firing alerts: " + firing.error().message);
    return;
  }
  alerts_.firing = std::move(firing).value();
  std::sort(alerts_.firing.begin(), alerts_.firing.end(), series_less);
}

CommitState WatchedBuffer::commit_state() const {
  std::lock_guard lock(mutex_);
  return commit_;
}

AlertActivity WatchedBuffer::alert_activity() const {
  std::lock_guard lock(mutex_);
  return alerts_;
}

void WatchedBuffer::note_commit(const Error<buffer::BufferError>* error) {
  CommitState state;
  state.at = std::chrono::steady_clock::now();
  if (error == nullptr) {
    state.outcome = CommitState::Outcome::kOk;
  } else {
    // kClosed is the gateway stopping, not the buffer failing: it leaves the state as it was.
    if (error->code == buffer::BufferError::kClosed) return;
    state.outcome = error->code == buffer::BufferError::kFull ? CommitState::Outcome::kFull
                                                              : CommitState::Outcome::kFailed;
    state.message = error->message;
  }
  std::lock_guard lock(mutex_);
  commit_ = std::move(state);
}

Result<buffer::SeqRange, buffer::BufferError> WatchedBuffer::append(
    std::span<const buffer::Record> records) {
  auto result = inner_.append(records);
  note_commit(error_of(result));
  return result;
}

Result<buffer::PartialAppend, buffer::BufferError> WatchedBuffer::append_some(
    std::span<const buffer::Record> records, std::chrono::steady_clock::time_point received_at,
    buffer::AtCap at_cap) {
  auto result = inner_.append_some(records, received_at, at_cap);
  note_commit(error_of(result));
  return result;
}

Status<buffer::BufferError> WatchedBuffer::record_dropped(std::uint64_t rows,
                                                          buffer::DropReason reason) {
  auto result = inner_.record_dropped(rows, reason);
  // Stored whatever the cap: only its failure says something about readings.
  if (!result.ok()) note_commit(&result.error());
  return result;
}

Status<buffer::BufferError> WatchedBuffer::store_dead_letter(const buffer::Record& record,
                                                             const std::string& error) {
  auto result = inner_.store_dead_letter(record, error);
  // Stored whatever the cap, like alerts: only its failure says something about commits.
  if (!result.ok()) note_commit(&result.error());
  return result;
}

Result<buffer::SeqRange, buffer::BufferError> WatchedBuffer::append_alert(
    const buffer::AlertRow& alert, const buffer::Record& record) {
  auto result = inner_.append_alert(alert, record);
  // Alerts are stored even at the cap (on_full: reject), so only a failure says something
  // about whether readings can be committed.
  if (!result.ok()) {
    note_commit(&result.error());
    return result;
  }
  std::lock_guard lock(mutex_);
  auto& firing = alerts_.firing;
  firing.erase(std::remove_if(firing.begin(), firing.end(),
                              [&](const buffer::AlertRow& row) { return same_series(row, alert); }),
               firing.end());
  if (alert.state == "firing") {
    ++alerts_.raised[{alert.rule, alert.severity}];
    firing.insert(std::upper_bound(firing.begin(), firing.end(), alert, series_less), alert);
  }
  alerts_.recent.insert(alerts_.recent.begin(), alert);
  if (alerts_.recent.size() > kRecentAlerts) alerts_.recent.pop_back();
  return result;
}

Result<std::vector<buffer::AlertRow>, buffer::BufferError> WatchedBuffer::firing_alerts() {
  return inner_.firing_alerts();
}

Status<buffer::BufferError> WatchedBuffer::next_batch(std::size_t max_rows,
                                                      buffer::RecordBatch& out) {
  return inner_.next_batch(max_rows, out);
}

void WatchedBuffer::rewind() {
  inner_.rewind();
}

Status<buffer::BufferError> WatchedBuffer::mark_delivered(std::span<const std::int64_t> seqs) {
  return inner_.mark_delivered(seqs);
}

Status<buffer::BufferError> WatchedBuffer::dead_letter(std::int64_t seq, const std::string& error) {
  return inner_.dead_letter(seq, error);
}

Status<buffer::BufferError> WatchedBuffer::sync() {
  return inner_.sync();
}

Result<buffer::BacklogStats, buffer::BufferError> WatchedBuffer::stats() {
  return inner_.stats();
}

std::uint64_t WatchedBuffer::records_generation() const {
  return inner_.records_generation();
}

void WatchedBuffer::wait_for_records(std::uint64_t seen, std::chrono::milliseconds timeout) {
  inner_.wait_for_records(seen, timeout);
}

void WatchedBuffer::close() {
  inner_.close();
}

const Heartbeat& WatchedBuffer::writer_heartbeat() const {
  return inner_.writer_heartbeat();
}

buffer::Durability WatchedBuffer::writer_durability() const {
  return inner_.writer_durability();
}

}  // namespace sensorgate::status
