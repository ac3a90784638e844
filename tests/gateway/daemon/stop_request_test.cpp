// The stop request a fenced forwarder makes: the daemon's loop sees it through poll().
#include <poll.h>

#include <catch2/catch.hpp>

#include <thread>

#include "gateway/daemon/stop_request.hpp"

namespace sensorgate::gateway {
namespace {

bool readable(int fd) {
  pollfd wait{fd, POLLIN, 0};
  return ::poll(&wait, 1, 0) == 1 && (wait.revents & POLLIN) != 0;
}

TEST_CASE("a stop request from another thread wakes a poll and keeps the first reason") {
  StopRequest stop;
  REQUIRE(stop.fd() >= 0);
  CHECK_FALSE(readable(stop.fd()));
  CHECK_FALSE(stop.reason().has_value());

  std::thread forwarder([&] { stop.request("kafka: another process took over"); });
  pollfd wait{stop.fd(), POLLIN, 0};
  CHECK(::poll(&wait, 1, 10'000) == 1);
  forwarder.join();
  stop.request("a later reason");
  CHECK(stop.reason() == std::optional<std::string>("kafka: another process took over"));
  CHECK(readable(stop.fd()));
}

}  // namespace
}  // namespace sensorgate::gateway
