// SystemdNotifier: tells systemd (Type=notify) that the daemon is ready, alive (watchdog) or
// stopping. Does nothing when not started by systemd (NOTIFY_SOCKET unset). Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sensorgate::gateway {

class SystemdNotifier {
 public:
  void ready(std::string_view status);
  void stopping();
  void status(std::string_view status);
  void watchdog();
  // The interval at which watchdog() must be called (half of WatchdogSec), or nullopt when
  // systemd runs no watchdog for this service.
  std::optional<std::chrono::microseconds> watchdog_interval() const;
};

}  // namespace sensorgate::gateway
