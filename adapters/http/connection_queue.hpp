// ConnectionQueue: the task queue behind the http adapter's cpp-httplib server. httplib hands it
// one task per accepted connection (serve it with keep-alive, then close it); a fixed set of
// worker threads runs them, and at most max_connections are held at once (running or waiting).
// While it is full, enqueue() blocks httplib's accept loop, so further clients wait in the
// kernel's listen queue instead of piling up in memory. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace sensorgate::http {

class ConnectionQueue final : public httplib::TaskQueue {
 public:
  // Starts `workers` threads (named "http-worker"). `stopping` (which must outlive the queue)
  // turning true stops enqueue() from blocking, so that a stopping server's accept loop ends.
  ConnectionQueue(std::size_t workers, std::size_t max_connections,
                  const std::atomic<bool>& stopping);
  ~ConnectionQueue() override;

  // Blocks while max_connections are held, until one finishes or `stopping` turns true.
  void enqueue(std::function<void()> task) override;
  // Runs what is queued, then joins the workers. Called by httplib when its accept loop ends.
  void shutdown() override;

 private:
  void work();

  const std::size_t max_connections_;
  const std::atomic<bool>& stopping_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  std::size_t running_ = 0;
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sensorgate::http
