// History: readings per second over the last minute, pending over ten minutes, rejects within
// ten minutes; driven with explicit times, no sleeping.
#include <catch2/catch.hpp>

#include "gateway/status/history.hpp"

namespace sensorgate::status {
namespace {

using namespace std::chrono_literals;

GatewaySnapshot with_readings(std::uint64_t readings, std::uint64_t bad_json = 0) {
  GatewaySnapshot snapshot;
  adapters::AdapterCounters counters;
  counters.readings_received = readings;
  if (bad_json > 0) counters.rejected[adapters::RejectReason::kBadJson] = bad_json;
  snapshot.adapters.push_back({"a", "mqtt", {true, ""}, counters});
  return snapshot;
}

}  // namespace

TEST_CASE("the rate spans the last minute of samples") {
  History history;
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  CHECK(history.readings_per_s().empty());
  history.sample(start, 0, with_readings(0), 0);
  CHECK(history.readings_per_s().at("a") == 0);
  // 100 readings a second for two minutes: the window keeps the last minute only.
  for (int s = 1; s <= 120; ++s) history.sample(start + s * 1s, 0, with_readings(100 * s), 0);
  CHECK(history.readings_per_s().at("a") == Approx(100));
  // Then 10 a second for a minute.
  for (int s = 121; s <= 180; ++s) {
    history.sample(start + s * 1s, 0, with_readings(12'000 + 10 * (s - 120)), 0);
  }
  CHECK(history.readings_per_s().at("a") == Approx(10));
}

TEST_CASE("pending is kept every 10 s for ten minutes, oldest first") {
  History history;
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  for (int s = 0; s < 900; ++s) {
    history.sample(start + s * 1s, s * 1'000'000'000LL, with_readings(0), s);
  }
  const auto points = history.pending();
  REQUIRE(points.size() == History::kPendingPoints);
  CHECK(points.back().pending == 890);
  CHECK(points.front().pending == 300);
  CHECK(points.front().ts_ns == 300'000'000'000LL);
}

TEST_CASE("recent rejects count those since the oldest kept point") {
  History history;
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  history.sample(start, 0, with_readings(0, 5), 0);
  auto recent = history.recent_rejects(with_readings(0, 8));
  CHECK(recent.at("a").at(adapters::RejectReason::kBadJson) == 3);
  // Ten minutes later the old rejects have left the window.
  for (int s = 10; s <= 610; s += 10) history.sample(start + s * 1s, 0, with_readings(0, 8), 0);
  CHECK(history.recent_rejects(with_readings(0, 8)).empty());
}

}  // namespace sensorgate::status
