#include "adapters/mqtt/nagle_switch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace sensorgate::mqtt {
namespace {

// A loopback listener on a port the kernel picks, and one client connected to it.
class LoopbackPair {
 public:
  LoopbackPair() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 1) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~LoopbackPair() {
    ::close(client_);
    ::close(listener_);
  }

  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int client() const { return client_; }
  bool client_nodelay() const {
    int value = 0;
    socklen_t length = sizeof value;
    ::getsockopt(client_, IPPROTO_TCP, TCP_NODELAY, &value, &length);
    return value != 0;
  }

 private:
  int listener_ = -1;
  int client_ = -1;
  std::uint16_t port_ = 0;
};

TEST_CASE("the sockets towards a broker are the connections to its host and port only") {
  LoopbackPair broker;
  LoopbackPair other;
  CHECK(sockets_towards(broker.url()) == std::vector<int>{broker.client()});
  CHECK(sockets_towards("ssl://127.0.0.1").empty());  // default port 8883: nobody there
  CHECK(sockets_towards("tcp://127.0.0.1:1").empty());
}

TEST_CASE("Nagle is off on the broker connection while publishes are held, on again after") {
  LoopbackPair broker;
  LoopbackPair other;
  NagleSwitch nagle;
  nagle.attach(broker.url());
  REQUIRE_FALSE(broker.client_nodelay());

  nagle.hold_off();
  CHECK(broker.client_nodelay());
  nagle.hold_off();  // a second publish in flight
  nagle.release();
  CHECK(broker.client_nodelay());
  nagle.release();
  CHECK_FALSE(broker.client_nodelay());
  nagle.release();  // more releases than holds change nothing
  nagle.hold_off();
  CHECK(broker.client_nodelay());
  CHECK_FALSE(other.client_nodelay());
}

TEST_CASE("a connection made while a publish is held gets Nagle off at attach") {
  NagleSwitch nagle;
  nagle.hold_off();
  LoopbackPair broker;  // the reconnect
  REQUIRE_FALSE(broker.client_nodelay());
  nagle.attach(broker.url());
  CHECK(broker.client_nodelay());
}

}  // namespace
}  // namespace sensorgate::mqtt
