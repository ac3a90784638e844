#include "adapters/mqtt/received_queue.hpp"

namespace sensorgate::mqtt {

std::size_t ReceivedQueue::weight(const ReceivedMessage& message) {
  return sizeof message + message.topic.size() + message.payload.size();
}

bool ReceivedQueue::push(std::string_view topic, std::string_view payload, int qos,
                         std::int64_t received_ns) {
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] { return closed_ || count_ == 0 || bytes_ < max_bytes_; });
  if (closed_) return false;
  if (count_ == messages_.size()) messages_.emplace_back();
  ReceivedMessage& slot = messages_[count_++];
  slot.topic.assign(topic);
  slot.payload.assign(payload);
  slot.qos = qos;
  slot.received_ns = received_ns;
  bytes_ += weight(slot);
  if (waiting_) queued_.notify_one();  // only a take() blocked on an empty queue is woken
  return true;
}

bool ReceivedQueue::take(std::vector<ReceivedMessage>& out) {
  std::unique_lock lock(mutex_);
  waiting_ = true;
  queued_.wait(lock, [&] { return closed_ || count_ > 0; });
  waiting_ = false;
  // The two vectors trade storage: the taken messages go out, the messages of the last take()
  // come in as slots (strings with their capacity) for the next pushes.
  const std::size_t taken = count_;
  messages_.resize(taken);
  out.swap(messages_);
  count_ = 0;
  bytes_ = 0;
  handling_ = taken > 0;
  room_.notify_all();
  return taken > 0;
}

void ReceivedQueue::done() {
  std::lock_guard lock(mutex_);
  handling_ = false;
}

bool ReceivedQueue::idle() {
  std::lock_guard lock(mutex_);
  return count_ == 0 && !handling_;
}

void ReceivedQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  queued_.notify_all();
  room_.notify_all();
}

}  // namespace sensorgate::mqtt
