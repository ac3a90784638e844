#include "core/repeat_limiter.hpp"

#include <catch2/catch.hpp>

using namespace sensorgate;
using namespace std::chrono_literals;

TEST_CASE("the first event passes, repeats within the interval are held back and counted") {
  RepeatLimiter limiter(60s);
  const RepeatLimiter::Clock::time_point start{1000s};
  const auto first = limiter.admit(start);
  REQUIRE(first);
  CHECK(first->repeated == 0);
  for (int i = 1; i <= 312; ++i) CHECK_FALSE(limiter.admit(start + i * 100ms));
  const auto next = limiter.admit(start + 60s);
  REQUIRE(next);
  CHECK(next->repeated == 312);
  CHECK(next->over == 60s);
  CHECK(with_repeat_count("bad payload", *next) == "bad payload (repeated 312 times in 60 s)");
  // The window starts again at the event that passed.
  CHECK_FALSE(limiter.admit(start + 61s));
  CHECK(limiter.admit(start + 120s)->repeated == 1);
}

TEST_CASE("flush hands over what is held back once, and nothing when nothing is") {
  RepeatLimiter limiter(10s);
  const RepeatLimiter::Clock::time_point start{5s};
  CHECK_FALSE(limiter.flush(start));
  REQUIRE(limiter.admit(start));
  CHECK_FALSE(limiter.flush(start + 1s));
  CHECK_FALSE(limiter.admit(start + 1s));
  CHECK_FALSE(limiter.admit(start + 2500ms));
  const auto flushed = limiter.flush(start + 2500ms);
  REQUIRE(flushed);
  CHECK(flushed->repeated == 2);
  CHECK(with_repeat_count("broker down", *flushed) == "broker down (repeated 2 times in 2.5 s)");
  CHECK_FALSE(limiter.flush(start + 3s));
  // Still inside the window of the last passed event: held back again.
  CHECK_FALSE(limiter.admit(start + 4s));
}

TEST_CASE("a message passed without repeats is logged as it is, one repeat reads singular") {
  CHECK(with_repeat_count("ok", RepeatLimiter::Pass{}) == "ok");
  CHECK(with_repeat_count("x", RepeatLimiter::Pass{1, 12s}) == "x (repeated 1 time in 12 s)");
}
