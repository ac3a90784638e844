// NagleSwitch: turns Nagle's algorithm off on the adapter's broker connection while the gateway's
// own publishes (alerts) are in flight, and back on after. Paho C neither sets TCP_NODELAY nor
// hands out its socket. With Nagle on, an alert published right after the PUBACK of the reading
// that raised it waits for the broker's delayed ACK (~40 ms on Linux); with Nagle off all the
// time, every PUBACK leaves as its own segment, which costs ~8 us of CPU per reading at full
// ingest (bench/mqtt). Alerts are rare, so switching costs nothing measurable. Thread-safe.
#pragma once

#include <mutex>
#include <string_view>
#include <vector>

namespace sensorgate::mqtt {

// The connected TCP sockets of this process whose peer is the host and port of `url` (tcp://,
// ssl://, mqtt://, mqtts://; default ports 1883 and 8883). Empty when the url does not resolve.
std::vector<int> sockets_towards(std::string_view url);

class NagleSwitch {
 public:
  // Finds the sockets to `url` anew (after each connect) and applies the current state to them.
  void attach(std::string_view url);
  // A publish begins: the first one turns Nagle off.
  void hold_off();
  // A publish completed or failed: the last one turns Nagle on again.
  void release();

 private:
  void apply(bool nodelay);

  std::mutex mutex_;
  std::vector<int> sockets_;
  int holds_ = 0;
};

}  // namespace sensorgate::mqtt
