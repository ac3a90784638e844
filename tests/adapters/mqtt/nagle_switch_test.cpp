#include "adapters/mqtt/nagle_switch.hpp"

#include <catch2/catch.hpp>

#include "loopback_tcp.hpp"

namespace sensorgate::mqtt {
namespace {

using testing::LoopbackClient;
using testing::LoopbackListener;

TEST_CASE("Nagle is off on the broker connection while publishes are held, on again after") {
  LoopbackListener broker;
  LoopbackListener elsewhere;
  LoopbackClient ours(broker);
  LoopbackClient other(elsewhere);
  BrokerConnection connection;
  NagleSwitch nagle(connection);
  connection.claim(broker.url());
  nagle.attach();
  REQUIRE_FALSE(ours.nodelay());

  nagle.hold_off();
  CHECK(ours.nodelay());
  nagle.hold_off();  // a second publish in flight
  nagle.release();
  CHECK(ours.nodelay());
  nagle.release();
  CHECK_FALSE(ours.nodelay());
  nagle.release();  // more releases than holds change nothing
  nagle.hold_off();
  CHECK(ours.nodelay());
  CHECK_FALSE(other.nodelay());
}

TEST_CASE("a connection made while a publish is held gets Nagle off at attach") {
  LoopbackListener broker;
  BrokerConnection connection;
  NagleSwitch nagle(connection);
  nagle.hold_off();
  LoopbackClient reconnected(broker);
  REQUIRE_FALSE(reconnected.nodelay());
  connection.claim(broker.url());
  nagle.attach();
  CHECK(reconnected.nodelay());
}

}  // namespace
}  // namespace sensorgate::mqtt
