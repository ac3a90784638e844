#include "adapters/http/connection_queue.hpp"

#include <pthread.h>

namespace sensorgate::http {

namespace {

// How often a full queue looks whether the server stops.
constexpr auto kStopPoll = std::chrono::milliseconds(50);

}  // namespace

ConnectionQueue::ConnectionQueue(std::size_t workers, std::size_t max_connections,
                                 const std::atomic<bool>& stopping)
    : max_connections_(max_connections), stopping_(stopping) {
  for (std::size_t i = 0; i < workers; ++i) {
    workers_.emplace_back([this] { work(); });
    pthread_setname_np(workers_.back().native_handle(), "http-worker");
  }
}

ConnectionQueue::~ConnectionQueue() {
  shutdown();
}

void ConnectionQueue::enqueue(std::function<void()> task) {
  std::unique_lock lock(mutex_);
  while (tasks_.size() + running_ >= max_connections_ && !shutting_down_ && !stopping_.load()) {
    changed_.wait_for(lock, kStopPoll);
  }
  tasks_.push_back(std::move(task));
  changed_.notify_all();
}

void ConnectionQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void ConnectionQueue::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // shutting down and nothing left
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    task();  // serves the connection until it closes, then closes its socket
    lock.lock();
    --running_;
    changed_.notify_all();
  }
}

}  // namespace sensorgate::http
