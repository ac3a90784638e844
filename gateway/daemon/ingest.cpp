#include "gateway/daemon/ingest.hpp"

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
                               ReadingObserver* observer, std::size_t max_queued)
    : buffer_(buffer),
      default_topic_(std::move(default_topic)),
      observer_(observer),
      max_queued_(max_queued) {
  ingest_thread_ = std::thread([this] { run_ingest_thread(); });
}

IngestPipeline::~IngestPipeline() {
  stop(std::chrono::seconds(5));
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
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return make_error(adapters::IngestError::kStopping, "the gateway is stopping");
  }
  if (observer_ != nullptr) observer_->observe(readings);
  const auto records = to_records(readings);
  const auto appended = buffer_.append(records);
  std::lock_guard lock(mutex_);
  if (!appended.ok()) {
    if (appended.error().code == buffer::BufferError::kFull) ++counters_.rejected_full;
    return make_error(ingest_error_of(appended.error().code), appended.error().message);
  }
  counters_.committed += records.size();
  return {};
}

Status<adapters::IngestError> IngestPipeline::submit(std::vector<Reading> readings) {
  if (observer_ != nullptr) observer_->observe(readings);
  std::unique_lock lock(mutex_);
  queue_changed_.wait(lock, [&] { return stopping_ || queue_.size() < max_queued_; });
  if (stopping_) return make_error(adapters::IngestError::kStopping, "the gateway is stopping");
  if (!readings.empty()) arrivals_.emplace_back(std::chrono::steady_clock::now(), readings.size());
  for (Reading& reading : readings) queue_.push_back(std::move(reading));
  queue_changed_.notify_all();
  return {};
}

void IngestPipeline::run_ingest_thread() {
  std::unique_lock lock(mutex_);
  auto retry_delay = std::chrono::milliseconds(10);
  while (true) {
    queue_changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and nothing left
    const std::size_t count = std::min(queue_.size(), kMaxBatch);
    std::vector<Reading> batch(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.begin() + count));
    // The buffer commits within commit_interval of when the oldest of them arrived here.
    const auto received_at = arrivals_.front().first;
    lock.unlock();
    const auto records = to_records(batch);
    const auto appended = buffer_.append(records, received_at);
    lock.lock();
    if (appended.ok()) {
      queue_.erase(queue_.begin(), queue_.begin() + count);
      for (std::size_t left = count; left > 0;) {
        auto& [arrived, readings] = arrivals_.front();
        const std::size_t taken = std::min(left, readings);
        readings -= taken;
        left -= taken;
        if (readings == 0) arrivals_.pop_front();
      }
      counters_.committed += count;
      retry_delay = std::chrono::milliseconds(10);
      queue_changed_.notify_all();
      continue;
    }
    if (appended.error().code == buffer::BufferError::kFull) ++counters_.rejected_full;
    // The readings stay queued: their source was acknowledged already, so waiting (and thereby
    // blocking submit(), which is MQTT backpressure) is the only way not to lose them.
    static RateLimitedLog failure_log(LogLevel::kWarning, std::string(kComponent));
    failure_log.log("cannot commit " + std::to_string(count) +
                    " readings, holding them and retrying: " + appended.error().message);
    if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) {
      counters_.lost_at_stop += queue_.size();
      log_error(kComponent,
                "stopping with " + std::to_string(queue_.size()) +
                    " readings that could not be committed: " + appended.error().message);
      queue_.clear();
      arrivals_.clear();
      return;
    }
    queue_changed_.wait_for(lock, retry_delay);
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
