#include "gateway/daemon/ingest.hpp"

#include <pthread.h>

#include "core/log.hpp"
#include "core/reading_json.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "ingest";
constexpr std::size_t kMaxBatch = 20'000;

adapters::IngestError ingest_error_of(buffer::BufferError error) {
  switch (error) {
    case buffer::BufferError::kFull:
      return adapters::IngestError::kFull;
    case buffer::BufferError::kClosed:
      return adapters::IngestError::kStopping;
    case buffer::BufferError::kIo:
    case buffer::BufferError::kNotABuffer:
    case buffer::BufferError::kCorrupt:
    case buffer::BufferError::kTooNew:
    case buffer::BufferError::kInUse:
      return adapters::IngestError::kFailed;
  }
  return adapters::IngestError::kFailed;
}

}  // namespace

IngestPipeline::IngestPipeline(buffer::Buffer& buffer, std::string default_topic,
                               ReadingObserver* observer, IngestOptions options)
    : buffer_(buffer),
      default_topic_(std::move(default_topic)),
      observer_(observer),
      options_(options) {
  ingest_thread_ = std::thread([this] { run_ingest_thread(); });
  pthread_setname_np(ingest_thread_.native_handle(), "ingest");
}

IngestPipeline::~IngestPipeline() {
  stop(std::chrono::seconds(5));
}

std::size_t IngestPipeline::queued_bytes(const buffer::Record& record) {
  return sizeof(buffer::Record) + record.topic.size() + record.key.size() + record.value.size();
}

std::vector<buffer::Record> IngestPipeline::to_records(const std::vector<Reading>& readings) const {
  std::vector<buffer::Record> records;
  records.reserve(readings.size());
  for (const Reading& reading : readings) {
    records.push_back(buffer::Record{reading.topic.empty() ? default_topic_ : reading.topic,
                                     reading.device, reading.ts_ns, encode_reading_json(reading)});
  }
  return records;
}

Status<adapters::IngestError> IngestPipeline::submit_and_wait(std::vector<Reading> readings) {
  return submit_and_wait_retrying(std::move(readings), std::chrono::milliseconds(0));
}

Status<adapters::IngestError> IngestPipeline::submit_and_wait_retrying(
    std::vector<Reading> readings, std::chrono::milliseconds retry_for) {
  const auto give_up_at = std::chrono::steady_clock::now() + retry_for;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return make_error(adapters::IngestError::kStopping, "the gateway is stopping");
  }
  if (observer_ != nullptr) observer_->observe(readings);
  const auto records = to_records(readings);
  auto retry_delay = std::chrono::milliseconds(10);
  bool counted_full = false;
  while (true) {
    const auto appended = buffer_.append(records);
    std::unique_lock lock(mutex_);
    if (appended.ok()) {
      counters_.committed += records.size();
      return {};
    }
    if (appended.error().code == buffer::BufferError::kFull && !counted_full) {
      ++counters_.rejected_full;
      counted_full = true;
    }
    const auto error = ingest_error_of(appended.error().code);
    if (stopping_) return make_error(adapters::IngestError::kStopping, "the gateway is stopping");
    const auto now = std::chrono::steady_clock::now();
    if (error == adapters::IngestError::kStopping || now >= give_up_at) {
      return make_error(error, appended.error().message);
    }
    queue_changed_.wait_until(lock, std::min(now + retry_delay, give_up_at),
                              [&] { return stopping_; });
    retry_delay = std::min(retry_delay * 2, std::chrono::milliseconds(1000));
  }
}

Status<adapters::IngestError> IngestPipeline::submit(std::vector<Reading> readings) {
  if (observer_ != nullptr) observer_->observe(readings);
  // Built here, once: what is queued is what will be stored, however often a commit fails.
  auto records = to_records(readings);
  std::size_t bytes = 0;
  for (const buffer::Record& record : records) bytes += queued_bytes(record);
  std::unique_lock lock(mutex_);
  queue_changed_.wait(lock,
                      [&] { return stopping_ || waiting_bytes_ < options_.max_queued_bytes; });
  if (stopping_) return make_error(adapters::IngestError::kStopping, "the gateway is stopping");
  if (!records.empty()) {
    arrivals_.emplace_back(std::chrono::steady_clock::now(), records.size());
    queued_records_ += records.size();
    queue_.push_back(std::move(records));
  }
  waiting_bytes_ += bytes;
  if (!gathering_ || group_full()) queue_changed_.notify_all();
  return {};
}

Status<adapters::IngestError> IngestPipeline::dead_letter(std::string_view source,
                                                          std::string_view payload,
                                                          const std::string& reason) {
  const auto ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const buffer::Record record{default_topic_, std::string(source), ts_ns, std::string(payload)};
  if (auto stored = buffer_.store_dead_letter(record, reason); !stored.ok()) {
    return make_error(ingest_error_of(stored.error().code), stored.error().message);
  }
  return {};
}

bool IngestPipeline::group_full() const {
  return queued_records_ >= options_.commit_max_rows || waiting_bytes_ >= options_.max_queued_bytes;
}

void IngestPipeline::take_batch() {
  // Whole submissions, at least one, up to kMaxBatch records.
  held_.clear();
  while (!queue_.empty() && (held_.empty() || held_.size() + queue_.front().size() <= kMaxBatch)) {
    held_.insert(held_.end(), std::make_move_iterator(queue_.front().begin()),
                 std::make_move_iterator(queue_.front().end()));
    queue_.pop_front();
  }
  queued_records_ -= held_.size();
  held_done_ = 0;
  held_count_ = held_.size();
}

void IngestPipeline::release_committed(std::size_t count) {
  for (std::size_t i = held_done_; i < held_done_ + count; ++i) {
    waiting_bytes_ -= queued_bytes(held_[i]);
  }
  held_done_ += count;
  held_count_ -= count;
  for (std::size_t left = count; left > 0 && !arrivals_.empty();) {
    auto& [arrived, readings] = arrivals_.front();
    const std::size_t taken = std::min(left, readings);
    readings -= taken;
    left -= taken;
    if (readings == 0) arrivals_.pop_front();
  }
}

void IngestPipeline::run_ingest_thread() {
  std::unique_lock lock(mutex_);
  auto retry_delay = std::chrono::milliseconds(10);
  static RateLimitedLog failure_log(LogLevel::kWarning, std::string(kComponent));
  while (true) {
    if (held_count_ == 0) {
      queue_changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      // What arrives within the oldest one's commit_interval joins its group: one commit per
      // interval under light load, where handing over the first reading at once made two (it,
      // then what came while it waited for its commit).
      gathering_ = true;
      queue_changed_.wait_until(lock, arrivals_.front().first + options_.commit_interval,
                                [&] { return stopping_ || group_full(); });
      gathering_ = false;
      take_batch();
    }
    // The buffer commits within commit_interval of when the oldest of them arrived here: at
    // once, after the gathering.
    const auto received_at = arrivals_.front().first;
    // At stop, what is held goes in over the cap: its sources were acknowledged already.
    const auto at_cap = stopping_ ? buffer::AtCap::kStoreAll : buffer::AtCap::kStoreWhatFits;
    const std::span<const buffer::Record> pending(held_.data() + held_done_, held_count_);
    lock.unlock();
    const auto appended = buffer_.append_some(pending, received_at, at_cap);
    lock.lock();
    if (appended.ok()) {
      release_committed(appended->stored);
      counters_.committed += appended->stored;
      if (held_count_ == 0) held_.clear();
      retry_delay = std::chrono::milliseconds(10);
      queue_changed_.notify_all();
      // A part was stored (a group commit takes a bounded share): go on with the rest at once;
      // when nothing more fits under the cap, the next try fails with kFull and waits.
      continue;
    } else {
      if (appended.error().code == buffer::BufferError::kFull) ++counters_.rejected_full;
      // The records stay held: their source was acknowledged already, so waiting (and thereby
      // blocking submit(), which is MQTT backpressure) is the only way not to lose them.
      failure_log.log("cannot commit " + std::to_string(held_count_) +
                      " readings, holding them and retrying: " + appended.error().message);
      if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) {
        const std::size_t lost = held_count_ + queued_records_;
        const std::string reason = appended.error().message;
        counters_.lost_at_stop += lost;
        held_.clear();
        held_count_ = 0;
        queue_.clear();
        queued_records_ = 0;
        arrivals_.clear();
        waiting_bytes_ = 0;
        lock.unlock();
        const auto counted = buffer_.record_dropped(lost, buffer::DropReason::kNotCommittedAtStop);
        log_error(kComponent, "stopping with " + std::to_string(lost) +
                                  " acknowledged readings that could not be committed: " + reason +
                                  (counted.ok() ? "; counted in dropped_total"
                                                : "; could not count them in dropped_total: " +
                                                      counted.error().message));
        return;
      }
    }
    if (stopping_) {
      queue_changed_.wait_until(
          lock, std::min(std::chrono::steady_clock::now() + retry_delay, stop_deadline_));
    } else {
      queue_changed_.wait_for(lock, retry_delay);
    }
    retry_delay = std::min(retry_delay * 2, std::chrono::milliseconds(1000));
  }
}

void IngestPipeline::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + deadline;
    }
    queue_changed_.notify_all();
  }
  if (ingest_thread_.joinable()) ingest_thread_.join();
}

IngestCounters IngestPipeline::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace sensorgate::gateway
