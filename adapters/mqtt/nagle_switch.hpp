// NagleSwitch: turns Nagle's algorithm off on the adapter's broker connection while the gateway's
// own publishes (alerts) are in flight, and back on after. Paho C neither sets TCP_NODELAY nor
// hands out its socket (BrokerConnection finds it). With Nagle on, an alert published right after
// the PUBACK of the reading that raised it waits for the broker's delayed ACK (~40 ms on Linux);
// with Nagle off all the time, every PUBACK leaves as its own segment, which costs ~8 us of CPU per
// reading at full ingest (bench/mqtt). Alerts are rare, so switching costs nothing measurable.
// Thread-safe.
#pragma once

#include <mutex>

#include "adapters/mqtt/broker_connection.hpp"

namespace sensorgate::mqtt {

class NagleSwitch {
 public:
  // Switches the connection `broker` finds; it must outlive the switch.
  explicit NagleSwitch(BrokerConnection& broker) : broker_(broker) {}

  // The client (re)connected and `broker` claimed the new connection: applies the current state.
  void attach();
  // A publish begins: the first one turns Nagle off.
  void hold_off();
  // A publish completed or failed: the last one turns Nagle on again.
  void release();

 private:
  void apply(bool nodelay);

  BrokerConnection& broker_;
  std::mutex mutex_;
  int holds_ = 0;
};

}  // namespace sensorgate::mqtt
