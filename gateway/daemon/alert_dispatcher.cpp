#include "gateway/daemon/alert_dispatcher.hpp"

#include <pthread.h>

#include "core/log.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "alerts";

}  // namespace

buffer::AlertRow to_alert_row(const rules::AlertEvent& event) {
  return buffer::AlertRow{event.ts_ns,    event.rule,
                          event.device,   event.metric,
                          event.severity, std::string(rules::alert_state_name(event.state)),
                          event.value,    event.threshold,
                          event.message,  event.raised_at_ns};
}

AlertDispatcher::AlertDispatcher(buffer::Buffer& buffer, std::string alerts_topic,
                                 adapters::AlertPublisher* publisher, std::size_t max_queued)
    : buffer_(buffer),
      alerts_topic_(std::move(alerts_topic)),
      publisher_(publisher),
      max_queued_(max_queued),
      loss_log_(LogLevel::kError, std::string(kComponent)) {
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "alerts");
}

AlertDispatcher::~AlertDispatcher() {
  stop();
}

void AlertDispatcher::dispatch(std::vector<rules::AlertEvent> events) {
  if (events.empty()) return;
  std::unique_lock lock(mutex_);
  if (stopping_) {
    losses_.after_stop += events.size();
    loss_log_.log(std::to_string(events.size()) + " alert event(s) raised after stop are lost (" +
                  std::to_string(losses_.after_stop) + " in all)");
    lock.unlock();
    record({{buffer::DropReason::kAlertAfterStop, events.size()}});
    return;
  }
  for (auto& event : events) {
    if (queue_.size() >= max_queued_) {
      ++losses_.queue_full;
      lose(buffer::DropReason::kAlertQueueFull, 1);
      loss_log_.log("alert " + event.rule + " on " + event.device +
                    " is lost: " + std::to_string(max_queued_) + " alert events wait already (" +
                    std::to_string(losses_.queue_full) + " lost in all)");
      continue;
    }
    queue_.push_back(std::move(event));
  }
  queued_.notify_one();
}

AlertLosses AlertDispatcher::losses() const {
  std::lock_guard lock(mutex_);
  return losses_;
}

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queued_.notify_one();
  }
  if (!thread_.joinable()) return;
  thread_.join();
  std::map<buffer::DropReason, std::uint64_t> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(unrecorded_);
  }
  record(left);
}

void AlertDispatcher::lose(buffer::DropReason reason, std::uint64_t count) {
  unrecorded_[reason] += count;
  record_due_ = true;
  queued_.notify_one();
}

void AlertDispatcher::record(const std::map<buffer::DropReason, std::uint64_t>& losses) {
  for (const auto& [reason, count] : losses) {
    if (count == 0) continue;
    if (const auto recorded = buffer_.record_dropped(count, reason); !recorded.ok()) {
      loss_log_.log("cannot count " + std::to_string(count) + " lost alert event(s) (" +
                    buffer::drop_reason_label(reason) +
                    ") in dropped_total yet: " + recorded.error().message);
      std::lock_guard lock(mutex_);
      unrecorded_[reason] += count;
    }
  }
}

void AlertDispatcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty() || record_due_; });
    if (record_due_) {
      record_due_ = false;
      std::map<buffer::DropReason, std::uint64_t> losses;
      losses.swap(unrecorded_);
      lock.unlock();
      record(losses);
      lock.lock();
      continue;
    }
    if (queue_.empty()) return;
    const rules::AlertEvent event = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    handle(event);
    lock.lock();
  }
}

void AlertDispatcher::handle(const rules::AlertEvent& event) {
  const std::string json = rules::encode_alert_json(event);
  if (!event.mqtt_topic.empty() && publisher_ != nullptr) {
    if (!publisher_->publish_alert(event.mqtt_topic, json)) {
      log_warning(kComponent, "could not publish alert " + event.rule + " on " + event.mqtt_topic +
                                  " (MQTT not connected); it is stored and goes to Kafka");
    }
  }
  const LogLevel level = event.state == rules::AlertState::kFiring && event.severity == "critical"
                             ? LogLevel::kError
                             : LogLevel::kWarning;
  log(level, kComponent,
      std::string(rules::alert_state_name(event.state)) + " " + event.severity + " " + event.rule +
          " on " + event.device + "/" + event.metric + ": " + event.message);
  const buffer::Record record{alerts_topic_, event.device, event.ts_ns, json};
  if (const auto stored = buffer_.append_alert(to_alert_row(event), record); !stored.ok()) {
    std::uint64_t lost = 0;
    {
      std::lock_guard lock(mutex_);
      lost = ++losses_.store_failed;
      lose(buffer::DropReason::kAlertStoreFailed, 1);
    }
    loss_log_.log("alert " + event.rule + " on " + event.device + " is lost, it could not be " +
                  "stored: " + stored.error().message + " (" + std::to_string(lost) +
                  " lost in all)");
  }
}

}  // namespace sensorgate::gateway
