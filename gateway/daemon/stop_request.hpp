// StopRequest: how a part of the gateway (a fenced Kafka forwarder) asks the daemon's loop to
// stop, from its own thread and without a signal: the first reason is kept and an eventfd becomes
// readable, which the loop polls beside its signals. Thread-safe: every method from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>

namespace sensorgate::gateway {

class StopRequest {
 public:
  StopRequest();
  ~StopRequest();
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;

  // Asks for the stop; later calls keep the first reason.
  void request(const std::string& reason);
  // The reason, once requested.
  std::optional<std::string> reason() const;
  // Readable (POLLIN) once requested; -1 when the system gave no eventfd, and then a loop sees
  // the request through reason() at its next round.
  int fd() const { return fd_; }

 private:
  const int fd_;
  mutable std::mutex mutex_;
  std::optional<std::string> reason_;
};

}  // namespace sensorgate::gateway
