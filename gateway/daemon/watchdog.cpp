#include "gateway/daemon/watchdog.hpp"

#include <algorithm>
#include <cstdio>

#include "core/log.hpp"

namespace sensorgate::gateway {

std::optional<std::string> stale_thread(std::initializer_list<const Heartbeat*> threads,
                                        std::chrono::steady_clock::duration max_age,
                                        std::chrono::steady_clock::time_point now) {
  const std::chrono::steady_clock::duration limit =
      std::max<std::chrono::steady_clock::duration>(max_age, 3 * Heartbeat::kMaxIdle);
  const Heartbeat* oldest = nullptr;
  std::chrono::steady_clock::duration oldest_age{};
  for (const Heartbeat* thread : threads) {
    const auto age = thread->age(now);
    if (age > limit && (oldest == nullptr || age > oldest_age)) {
      oldest = thread;
      oldest_age = age;
    }
  }
  if (oldest == nullptr) return std::nullopt;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", std::chrono::duration<double>(oldest_age).count());
  return oldest->name() + " made no round for " + seconds + " s";
}

bool threads_alive(std::initializer_list<const Heartbeat*> threads,
                   std::chrono::steady_clock::duration max_age) {
  static RateLimitedLog stale_log(LogLevel::kError, "watchdog");
  const auto stale = stale_thread(threads, max_age, std::chrono::steady_clock::now());
  if (!stale) return true;
  stale_log.log(*stale + "; withholding the systemd watchdog ping, so systemd restarts the daemon");
  return false;
}

}  // namespace sensorgate::gateway
