// AlertDispatcher: where alert events go once a rule (or the gateway's own health watch) raised
// them. For each event, on its own thread ("alerts") and in order: published at once on the
// local MQTT topic when the rule names one (so alarms work without the uplink), logged, stored in
// the alerts table and buffered for kafka.alerts_topic keyed by device, in one commit.
// dispatch() only queues, so the ingest path never waits on I/O. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "buffer/buffer.hpp"
#include "gateway/rules/alert.hpp"

namespace sensorgate::gateway {

// Publishes a payload on a local MQTT topic (QoS 1, not retained); false when it could not.
using LocalPublish = std::function<bool(const std::string& topic, const std::string& payload)>;

class AlertDispatcher {
 public:
  // `buffer` must outlive the dispatcher. `publish` may be empty (no MQTT adapter).
  AlertDispatcher(buffer::Buffer& buffer, std::string alerts_topic, LocalPublish publish);
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  void dispatch(std::vector<rules::AlertEvent> events);

  // Handles what is queued, then ends the thread. Later events are dropped with a log line.
  void stop();

 private:
  void run();
  void handle(const rules::AlertEvent& event);

  buffer::Buffer& buffer_;
  const std::string alerts_topic_;
  const LocalPublish publish_;

  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<rules::AlertEvent> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// The alerts table's form of an event.
buffer::AlertRow to_alert_row(const rules::AlertEvent& event);

}  // namespace sensorgate::gateway
