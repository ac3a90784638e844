// /healthz: a failing commit, a buffer refusing at its cap and every adapter down are
// unhealthy; Kafka down alone is not.
#include <catch2/catch.hpp>

#include "gateway/status/health.hpp"

namespace sensorgate::status {
namespace {

using namespace std::chrono_literals;

GatewaySnapshot two_adapters(bool first_up, bool second_up) {
  GatewaySnapshot snapshot;
  snapshot.adapters.push_back({"a", "mqtt", {first_up, "connected"}, {}});
  snapshot.adapters.push_back({"b", "udp", {second_up, "cannot bind"}, {}});
  return snapshot;
}

}  // namespace

TEST_CASE("a running gateway with an adapter up is healthy, whatever Kafka does") {
  GatewaySnapshot snapshot = two_adapters(false, true);
  snapshot.kafka.kafka_up = false;
  snapshot.kafka.down_since_ns = 123;
  const Health health = judge_health(snapshot, std::chrono::steady_clock::now());
  CHECK(health.ok);
  CHECK(health.reason.empty());
}

TEST_CASE("every adapter down is unhealthy and names each with its detail") {
  const Health health = judge_health(two_adapters(false, false), std::chrono::steady_clock::now());
  CHECK_FALSE(health.ok);
  CHECK(health.reason == "every adapter is down: a (connected); b (cannot bind)");
}

TEST_CASE("a failed commit is unhealthy until a commit works again") {
  GatewaySnapshot snapshot = two_adapters(true, true);
  const auto now = std::chrono::steady_clock::now();
  snapshot.commit = {CommitState::Outcome::kFailed, "database or disk is full", now - 1h};
  Health health = judge_health(snapshot, now);
  CHECK_FALSE(health.ok);
  CHECK(health.reason == "the buffer cannot commit: database or disk is full");
  snapshot.commit = {CommitState::Outcome::kOk, "", now};
  CHECK(judge_health(snapshot, now).ok);
}

TEST_CASE("a buffer refusing at its cap is unhealthy while the refusals go on") {
  GatewaySnapshot snapshot = two_adapters(true, true);
  const auto now = std::chrono::steady_clock::now();
  snapshot.commit = {CommitState::Outcome::kFull, "buffer full", now - 1s};
  const Health health = judge_health(snapshot, now);
  CHECK_FALSE(health.ok);
  CHECK(health.reason ==
        "the buffer is full and refuses readings (buffer.on_full: reject): buffer full");
  snapshot.commit.at = now - kFullHolds - 1s;
  CHECK(judge_health(snapshot, now).ok);
}

}  // namespace sensorgate::status
