// The /healthz judgement: unhealthy while the buffer cannot commit (disk full, I/O error), while
// it refuses readings at its cap (on_full: reject), or while every adapter is down. Kafka being
// unreachable alone is healthy: buffering through an outage is the gateway's job. Pure function.
#pragma once

#include <chrono>
#include <string>

#include "gateway/status/snapshot.hpp"

namespace sensorgate::status {

struct Health {
  bool ok = true;
  std::string reason;  // why not, for the 503 body; empty when ok
};

// A refusal at the cap counts for this long after the last one: the ingest pipeline retries held
// readings at least every second, so a buffer that still refuses renews it, and one that has no
// more callers (HTTP clients gone) stops counting as full.
inline constexpr std::chrono::seconds kFullHolds{5};

// `now`: the steady clock, against which CommitState::at is aged.
Health judge_health(const GatewaySnapshot& snapshot, std::chrono::steady_clock::time_point now);

}  // namespace sensorgate::status
