#include "core/heartbeat.hpp"

#include <catch2/catch.hpp>

using namespace sensorgate;
using namespace std::chrono_literals;

TEST_CASE("a heartbeat's age is the time since its last beat, construction counting as one") {
  Heartbeat heartbeat("forwarder");
  CHECK(heartbeat.name() == "forwarder");
  const auto constructed = heartbeat.last_beat();
  CHECK(heartbeat.age(constructed + 3s) == 3s);
  CHECK(heartbeat.age(constructed - 1s) == Heartbeat::Clock::duration::zero());

  // A beat is at least as late as the clock read before it.
  const auto before = Heartbeat::Clock::now();
  heartbeat.beat();
  CHECK(heartbeat.last_beat() >= before);
  CHECK(heartbeat.age(heartbeat.last_beat() + 500ms) == 500ms);
}
