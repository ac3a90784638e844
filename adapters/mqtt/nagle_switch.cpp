#include "adapters/mqtt/nagle_switch.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sensorgate::mqtt {

void NagleSwitch::attach() {
  std::lock_guard lock(mutex_);
  apply(holds_ > 0);
}

void NagleSwitch::hold_off() {
  std::lock_guard lock(mutex_);
  if (holds_++ == 0) apply(true);
}

void NagleSwitch::release() {
  std::lock_guard lock(mutex_);
  if (holds_ > 0 && --holds_ == 0) apply(false);
}

void NagleSwitch::apply(bool nodelay) {
  // Turning TCP_NODELAY on also sends at once what Nagle is holding back.
  const int value = nodelay ? 1 : 0;
  for (const int fd : broker_.descriptors())
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof value);
}

}  // namespace sensorgate::mqtt
