// AlertDispatcher: where alert events go once a rule (or the gateway's own health watch) raised
// them. For each event, on its own thread ("alerts") and in order: published at once on the
// local MQTT topic when the rule names one (so alarms work without the uplink), logged, stored in
// the alerts table and buffered for kafka.alerts_topic keyed by device, in one commit.
// dispatch() only queues, so the ingest path never waits on I/O; the queue is bounded, and an
// event that finds it full, arrives after stop() or cannot be stored is counted as lost with its
// reason, logged (rate-limited) and recorded in the buffer's dropped_by_reason
// (alert_queue_full, alert_after_stop, alert_store_failed), which `sensorgate backlog` shows.
// The alerts thread records them; what the buffer cannot record yet is tried again with the next
// loss and at stop(). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/adapter.hpp"
#include "buffer/buffer.hpp"
#include "core/log.hpp"
#include "gateway/rules/alert.hpp"

namespace sensorgate::gateway {

// Alert events that were not stored, by reason.
struct AlertLosses {
  std::uint64_t queue_full = 0;    // dispatched while max_queued events waited
  std::uint64_t after_stop = 0;    // dispatched after stop()
  std::uint64_t store_failed = 0;  // the buffer refused them (I/O, full with on_full: reject)
};

class AlertDispatcher {
 public:
  // `buffer` and `publisher` (nullptr: no adapter can publish alerts) must outlive the
  // dispatcher. At most `max_queued` events wait to be handled.
  AlertDispatcher(buffer::Buffer& buffer, std::string alerts_topic,
                  adapters::AlertPublisher* publisher, std::size_t max_queued = 10'000);
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  void dispatch(std::vector<rules::AlertEvent> events);

  // Handles what is queued, records the losses not yet recorded, then ends the thread. Later
  // events are counted in after_stop and recorded at once (dispatch() then waits for a commit).
  void stop();

  AlertLosses losses() const;

 private:
  void run();
  void handle(const rules::AlertEvent& event);
  // Counts `count` lost events for the alerts thread to record; called with mutex_ held.
  void lose(buffer::DropReason reason, std::uint64_t count);
  // Records `losses` in the buffer; what it cannot record goes back to unrecorded_.
  void record(const std::map<buffer::DropReason, std::uint64_t>& losses);

  buffer::Buffer& buffer_;
  const std::string alerts_topic_;
  adapters::AlertPublisher* const publisher_;
  const std::size_t max_queued_;
  RateLimitedLog loss_log_;

  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<rules::AlertEvent> queue_;
  bool stopping_ = false;
  AlertLosses losses_;
  std::map<buffer::DropReason, std::uint64_t> unrecorded_;  // lost, not yet in the buffer
  bool record_due_ = false;                                 // a loss came since the last try
  std::thread thread_;
};

// The alerts table's form of an event.
buffer::AlertRow to_alert_row(const rules::AlertEvent& event);

}  // namespace sensorgate::gateway
