// IngestPipeline: the ReadingSink behind every adapter. It turns readings into Kafka records
// (topic, key = device, ts, JSON value) and appends them to the buffer. submit_and_wait()
// appends on the caller's thread; submit() queues for the ingest thread, which appends all
// that is queued as one batch per group commit. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.hpp"
#include "buffer/buffer.hpp"

namespace sensorgate::gateway {

struct IngestCounters {
  std::uint64_t committed = 0;      // readings appended to the buffer
  std::uint64_t rejected_full = 0;  // appends refused at the cap (on_full: reject)
  std::uint64_t lost_at_stop = 0;   // queued readings that could not be committed at stop
};

// Sees every reading on its way into the buffer, on the submitting thread (the rules engine).
// Must be quick and thread-safe.
class ReadingObserver {
 public:
  virtual ~ReadingObserver() = default;
  virtual void observe(const std::vector<Reading>& readings) = 0;
};

class IngestPipeline final : public adapters::ReadingSink {
 public:
  // `buffer` (and `observer`, when given) must outlive the pipeline. `max_queued` bounds the
  // readings waiting for the ingest thread; submit() blocks above it.
  IngestPipeline(buffer::Buffer& buffer, std::string default_topic,
                 ReadingObserver* observer = nullptr, std::size_t max_queued = 100'000);
  ~IngestPipeline() override;

  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override;
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override;

  // Commits everything queued, then stops the ingest thread. Readings that cannot be committed
  // before `deadline` passes (buffer full with on_full=reject, disk failing) are counted in
  // lost_at_stop and logged. Later submits fail with kStopping.
  void stop(std::chrono::milliseconds deadline);

  IngestCounters counters() const;

 private:
  std::vector<buffer::Record> to_records(const std::vector<Reading>& readings) const;
  void run_ingest_thread();

  buffer::Buffer& buffer_;
  const std::string default_topic_;
  ReadingObserver* const observer_;
  const std::size_t max_queued_;

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::deque<Reading> queue_;
  // When each submit()'s readings arrived, as (time, readings) in queue order.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::size_t>> arrivals_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  IngestCounters counters_;
  std::thread ingest_thread_;
};

}  // namespace sensorgate::gateway
