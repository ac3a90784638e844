// on_change: repeats are held back, changes beyond the deadband pass, and max_interval lets a
// constant value through now and then. Times are given, never slept.
#include <catch2/catch.hpp>

#include <chrono>

#include "adapters/modbus/change_filter.hpp"

namespace sensorgate::modbus {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSecond = 1'000'000'000;

OnChange rule(double deadband = 0, std::chrono::nanoseconds max_interval = 1min) {
  return OnChange{true, deadband, max_interval};
}

// Passes and, if it passed, records the emit: what the adapter does per poll.
bool poll(ChangeFilter& filter, std::size_t index, ReadingValue value, std::int64_t ts_ns) {
  if (!filter.passes(index, value, ts_ns)) return false;
  filter.emitted(index, value, ts_ns);
  return true;
}

TEST_CASE("with on_change off every poll emits") {
  ChangeFilter filter({OnChange{}});
  for (int i = 0; i < 5; ++i) CHECK(poll(filter, 0, 20.0, i * kSecond));
}

TEST_CASE("on_change emits the first value, then only changes") {
  ChangeFilter filter({rule()});
  CHECK(poll(filter, 0, 20.0, 0));
  CHECK_FALSE(poll(filter, 0, 20.0, 1 * kSecond));
  CHECK_FALSE(poll(filter, 0, 20.0, 2 * kSecond));
  CHECK(poll(filter, 0, 20.5, 3 * kSecond));
  CHECK_FALSE(poll(filter, 0, 20.5, 4 * kSecond));
  CHECK(poll(filter, 0, 20.0, 5 * kSecond));
}

TEST_CASE("the deadband compares with the last value emitted, so a slow drift still passes") {
  ChangeFilter filter({rule(0.5)});
  CHECK(poll(filter, 0, 10.0, 0));
  CHECK_FALSE(poll(filter, 0, 10.3, 1 * kSecond));
  CHECK_FALSE(poll(filter, 0, 10.5, 2 * kSecond));  // exactly the deadband: not more
  CHECK(poll(filter, 0, 10.6, 3 * kSecond));
  CHECK_FALSE(poll(filter, 0, 10.2, 4 * kSecond));
  CHECK(poll(filter, 0, 10.0, 5 * kSecond));
}

TEST_CASE("max_interval emits a constant value once per interval") {
  ChangeFilter filter({rule(0, 10s)});
  int emitted = 0;
  for (int second = 0; second < 60; ++second) emitted += poll(filter, 0, 1.0, second * kSecond);
  CHECK(emitted == 6);  // at 0, 10, 20, 30, 40, 50 s
  CHECK_FALSE(filter.passes(0, 1.0, 59 * kSecond));
  CHECK(filter.passes(0, 1.0, 60 * kSecond));
}

TEST_CASE("a bool passes when it flips") {
  ChangeFilter filter({rule(0, 1h)});
  CHECK(poll(filter, 0, true, 0));
  CHECK_FALSE(poll(filter, 0, true, kSecond));
  CHECK(poll(filter, 0, false, 2 * kSecond));
}

TEST_CASE("a value not recorded as emitted (the sink refused it) passes again") {
  ChangeFilter filter({rule()});
  CHECK(filter.passes(0, 3.0, 0));
  CHECK(filter.passes(0, 3.0, kSecond));  // nothing recorded yet
  filter.emitted(0, 3.0, kSecond);
  CHECK_FALSE(filter.passes(0, 3.0, 2 * kSecond));
}

TEST_CASE("each register has its own rule and history") {
  ChangeFilter filter({rule(), OnChange{}});
  CHECK(poll(filter, 0, 1.0, 0));
  CHECK(poll(filter, 1, 1.0, 0));
  CHECK_FALSE(poll(filter, 0, 1.0, kSecond));
  CHECK(poll(filter, 1, 1.0, kSecond));
}

}  // namespace
}  // namespace sensorgate::modbus
