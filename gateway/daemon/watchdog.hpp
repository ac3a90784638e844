// The systemd watchdog's decision: the daemon may send WATCHDOG=1 only while the threads the
// data path rests on (the buffer writer, the forwarder) still make rounds of their loops, as
// their Heartbeats (core/heartbeat.hpp) show. A timer alone would keep pinging for a daemon whose
// threads are wedged; withholding the ping lets systemd kill and restart it (WatchdogSec).
//
// Thread safety: both functions may be called from any thread; they only read the heartbeats.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>

#include "core/heartbeat.hpp"

namespace sensorgate::gateway {

// The oldest heartbeat that is older than the limit, described for the log ("forwarder made no
// round for 12.3 s"), or nullopt when every thread beat in time. The limit is `max_age`, but
// never less than 3 * Heartbeat::kMaxIdle, so an idle thread between its beats is not stale.
std::optional<std::string> stale_thread(std::initializer_list<const Heartbeat*> threads,
                                        std::chrono::steady_clock::duration max_age,
                                        std::chrono::steady_clock::time_point now);

// True when WATCHDOG=1 may be sent now: stale_thread() found none. Otherwise logs the stale
// thread as an error (at most once every 10 s) and returns false.
bool threads_alive(std::initializer_list<const Heartbeat*> threads,
                   std::chrono::steady_clock::duration max_age);

}  // namespace sensorgate::gateway
