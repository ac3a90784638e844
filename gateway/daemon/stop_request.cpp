#include "gateway/daemon/stop_request.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace sensorgate::gateway {

StopRequest::StopRequest() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

StopRequest::~StopRequest() {
  if (fd_ >= 0) ::close(fd_);
}

void StopRequest::request(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (reason_) return;
    reason_ = reason;
  }
  if (fd_ < 0) return;
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow; the fd stays readable after the first write.
  (void)::write(fd_, &one, sizeof one);
}

std::optional<std::string> StopRequest::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

}  // namespace sensorgate::gateway
