#include "gateway/alert_dispatcher.hpp"

#include "core/log.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "alerts";

}  // namespace

buffer::AlertRow to_alert_row(const rules::AlertEvent& event) {
  return buffer::AlertRow{
      event.ts_ns,  event.rule,      event.device,
      event.metric, event.severity,  std::string(rules::alert_state_name(event.state)),
      event.value,  event.threshold, event.message};
}

AlertDispatcher::AlertDispatcher(buffer::Buffer& buffer, std::string alerts_topic,
                                 LocalPublish publish)
    : buffer_(buffer), alerts_topic_(std::move(alerts_topic)), publish_(std::move(publish)) {
  thread_ = std::thread([this] { run(); });
}

AlertDispatcher::~AlertDispatcher() {
  stop();
}

void AlertDispatcher::dispatch(std::vector<rules::AlertEvent> events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex_);
  if (stopping_) {
    log_error(kComponent, std::to_string(events.size()) + " alert events after stop were dropped");
    return;
  }
  for (auto& event : events) queue_.push_back(std::move(event));
  queued_.notify_one();
}

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queued_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void AlertDispatcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
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
  if (!event.mqtt_topic.empty() && publish_) {
    if (!publish_(event.mqtt_topic, json)) {
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
    log_error(kComponent, "could not store alert " + event.rule + " on " + event.device + ": " +
                              stored.error().message);
  }
}

}  // namespace sensorgate::gateway
