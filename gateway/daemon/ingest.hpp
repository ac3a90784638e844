// IngestPipeline: the ReadingSink behind every adapter. It turns readings into Kafka records
// (topic, key = device, ts, JSON value) once, on the submitting thread, and appends them to the
// buffer. submit_and_wait() appends on the caller's thread, committed at once (and
// submit_and_wait_retrying() tries again while the buffer refuses); submit() queues the records
// for the ingest thread, which appends all that is queued as one batch per group commit, within
// buffer.commit_interval of the oldest one's arrival. A queued record leaves the queue only once
// it is committed: a failed commit is retried with the same records. With on_full=reject a
// batch is committed as far as it fits under the cap and the rest waits (submit() blocks while
// the queue is full: backpressure). Thread-safe.
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
  std::uint64_t lost_at_stop = 0;   // queued readings that could not be committed at stop;
                                    // also counted in the buffer's dropped_total
};

// Sees every reading on its way into the buffer, on the submitting thread (the rules engine).
// Must be quick and thread-safe.
class ReadingObserver {
 public:
  virtual ~ReadingObserver() = default;
  virtual void observe(const std::vector<Reading>& readings) = 0;
};

struct IngestOptions {
  // Bounds the records waiting for the ingest thread (queued_bytes() of each); submit() blocks
  // while it is reached, and always queues into an empty queue, however large its records.
  std::size_t max_queued_bytes = 8 * 1024 * 1024;
  // The buffer's group commit (buffer.commit_interval, buffer.commit_max_rows): the ingest
  // thread gathers what submit() queues until the oldest of it has waited commit_interval, or
  // commit_max_rows are queued, and hands it to the buffer as one group.
  std::chrono::nanoseconds commit_interval = buffer::Options{}.commit_interval;
  std::size_t commit_max_rows = buffer::Options{}.commit_max_rows;
};

class IngestPipeline final : public adapters::ReadingSink {
 public:
  // `buffer` (and `observer`, when given) must outlive the pipeline.
  IngestPipeline(buffer::Buffer& buffer, std::string default_topic,
                 ReadingObserver* observer = nullptr, IngestOptions options = {});
  ~IngestPipeline() override;

  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override;
  Status<adapters::IngestError> submit_and_wait_retrying(
      std::vector<Reading> readings, std::chrono::milliseconds retry_for) override;
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override;
  // Stores the payload as a dead letter: topic kafka.topic, key `source`, value the raw payload.
  Status<adapters::IngestError> dead_letter(std::string_view source, std::string_view payload,
                                            const std::string& reason) override;

  // Commits everything queued, then stops the ingest thread; returns within `deadline` (plus
  // one commit attempt) whatever state the buffer is in. With on_full=reject what is queued is
  // committed over the cap: those sources were acknowledged already. Readings that cannot be
  // committed before `deadline` passes (disk full or failing) are counted in lost_at_stop and in
  // the buffer's dropped_total (reason not_committed_at_stop), and logged. Later submits fail
  // with kStopping.
  void stop(std::chrono::milliseconds deadline);

  IngestCounters counters() const;

  // What a record waiting in the queue counts against max_queued_bytes: its own size and its
  // three strings.
  static std::size_t queued_bytes(const buffer::Record& record);

 private:
  std::vector<buffer::Record> to_records(const std::vector<Reading>& readings) const;
  // Enough is queued for a group commit, or the queue is at its bound; called with mutex_ held.
  bool group_full() const;
  void run_ingest_thread();
  // Moves whole submissions from queue_ into held_, at least one and up to a batch of records;
  // called with mutex_ held.
  void take_batch();
  // Forgets the first `count` records of arrivals_ and held_ (from held_done_ on) once they are
  // committed; called with mutex_ held.
  void release_committed(std::size_t count);

  buffer::Buffer& buffer_;
  const std::string default_topic_;
  ReadingObserver* const observer_;
  const IngestOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_;
  // The records of each submit(), in order, and how many they are.
  std::deque<std::vector<buffer::Record>> queue_;
  std::size_t queued_records_ = 0;
  // Set while the ingest thread gathers the queue for a group: submit() then wakes it only when
  // the group is full.
  bool gathering_ = false;
  // The ingest thread's batch: records taken from queue_, of which the first held_done_ are
  // committed. Only the ingest thread touches them; queued() counts them under mutex_.
  std::vector<buffer::Record> held_;
  std::size_t held_done_ = 0;
  std::size_t held_count_ = 0;  // held_.size() - held_done_, under mutex_
  // queued_bytes() of the queued records and of the held ones not yet committed, under mutex_.
  std::size_t waiting_bytes_ = 0;
  // When each submit()'s readings arrived, as (time, readings) in order (held, then queued).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::size_t>> arrivals_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  IngestCounters counters_;
  std::thread ingest_thread_;
};

}  // namespace sensorgate::gateway
