#include "gateway/daemon/watchdog.hpp"

#include <catch2/catch.hpp>

using namespace sensorgate;
using namespace std::chrono_literals;

TEST_CASE("the watchdog may ping while every thread beat within the limit") {
  Heartbeat writer("buffer writer");
  Heartbeat forwarder("forwarder");
  const auto now = std::max(writer.last_beat(), forwarder.last_beat()) + 10s;
  CHECK_FALSE(gateway::stale_thread({&writer, &forwarder}, 15s, now));
}

TEST_CASE("a thread that made no round within the limit withholds the ping, named with its age") {
  Heartbeat forwarder("forwarder");
  const auto stale = gateway::stale_thread({&forwarder}, 15s, forwarder.last_beat() + 20s);
  REQUIRE(stale);
  CHECK(*stale == "forwarder made no round for 20.0 s");
}

TEST_CASE("the oldest stale thread is the one named") {
  Heartbeat forwarder("forwarder");
  Heartbeat writer("buffer writer");
  // Bounded: the steady clock moves within a few iterations.
  for (int i = 0; i < 1'000'000 && writer.last_beat() <= forwarder.last_beat(); ++i) writer.beat();
  REQUIRE(writer.last_beat() > forwarder.last_beat());
  const auto stale = gateway::stale_thread({&writer, &forwarder}, 15s, forwarder.last_beat() + 30s);
  REQUIRE(stale);
  CHECK(stale->rfind("forwarder made no round for ", 0) == 0);
}

TEST_CASE("a limit below three idle beats is raised, so an idle thread is not taken as stale") {
  Heartbeat writer("buffer writer");
  const auto limit = 3 * Heartbeat::kMaxIdle;
  CHECK_FALSE(gateway::stale_thread({&writer}, 1ms, writer.last_beat() + limit));
  CHECK(gateway::stale_thread({&writer}, 1ms, writer.last_beat() + limit + 1ms));
}
