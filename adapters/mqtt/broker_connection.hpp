// BrokerConnection: finds the TCP connection of one Paho client to its broker, which Paho C does
// not hand out, so that the adapter can switch Nagle on it (NagleSwitch) and shut it down before
// an acknowledgement could leave (MqttAdapter, ack: after_commit).
//
// A connection is named by its descriptor and its socket inode: the connections to the broker's
// host and port are read from /proc/self/net/tcp{,6} (no system call touches a descriptor that
// another thread may be closing), and mapped to descriptors through /proc/self/fd links. Before a
// descriptor is handed out, its link is read again, so a descriptor that was closed and reused
// for another socket is never returned. Several clients of one process may talk to the same
// broker: a process-wide registry gives each BrokerConnection the connection it claimed.
//
// Paho C runs its callbacks while holding its global mutex, under which it also opens and closes
// every client's socket; claim() and descriptors() called from a Paho callback therefore see the
// sockets of every Paho client of the process standing still. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sensorgate::mqtt {

// One TCP connection of this process.
struct TcpConnection {
  int fd = -1;
  std::uint64_t inode = 0;
  bool operator==(const TcpConnection&) const = default;
};

// The established TCP connections of this process whose peer is the host and port of `url`
// (tcp:// or ssl:// as the config accepts them; default ports 1883 and 8883). Empty when the url
// does not resolve or /proc cannot be read.
std::vector<TcpConnection> connections_towards(std::string_view url);

class BrokerConnection {
 public:
  BrokerConnection() = default;
  ~BrokerConnection();
  BrokerConnection(const BrokerConnection&) = delete;
  BrokerConnection& operator=(const BrokerConnection&) = delete;

  // The client has (re)connected to `url`: claims its connection, the one to `url` that no other
  // BrokerConnection holds. When several are unclaimed (another client is still in its
  // handshake), nothing is claimed yet and descriptors() decides later.
  void claim(std::string_view url);

  // The descriptor of the claimed connection while it is still open. Without a claim (or once the
  // claimed socket is gone) it tries to claim again; if several unclaimed connections to the
  // broker remain, it returns all of them (the caller's shutdown then also resets a connection of
  // another client that is still in its handshake; that client reconnects and loses nothing).
  // Empty before the first claim() or when no connection to the broker is open.
  std::vector<int> descriptors();

 private:
  std::vector<TcpConnection> unclaimed_towards_url() const;  // requires registry lock
  void release();                                            // requires registry lock

  std::string url_;
  TcpConnection claimed_;
};

}  // namespace sensorgate::mqtt
