// Loopback TCP endpoints for the tests of BrokerConnection and NagleSwitch: a listener on a port
// the kernel picks, and clients connected to it (never accepted: the kernel completes the
// handshake, which is all these tests need). Not thread-safe; failures fail the test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace sensorgate::mqtt::testing {

class LoopbackListener {
 public:
  LoopbackListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = loopback(0);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackListener() { ::close(fd_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class LoopbackClient {
 public:
  explicit LoopbackClient(const LoopbackListener& listener) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = LoopbackListener::loopback(listener.port());
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~LoopbackClient() { close(); }
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool nodelay() const {
    int value = 0;
    socklen_t length = sizeof value;
    ::getsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &value, &length);
    return value != 0;
  }

 private:
  int fd_ = -1;
};

}  // namespace sensorgate::mqtt::testing
