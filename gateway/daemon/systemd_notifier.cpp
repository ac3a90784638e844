#include "gateway/daemon/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace sensorgate::gateway {

void SystemdNotifier::ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::stopping() {
  sd_notify(0, "STOPPING=1");
}

void SystemdNotifier::status(std::string_view status) {
  const std::string message = "STATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::watchdog() {
  sd_notify(0, "WATCHDOG=1");
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace sensorgate::gateway
