// Waiting on a condition with a deadline instead of sleeping a fixed time.
#pragma once

#include <chrono>
#include <functional>

namespace sensorgate::testing {

// Polls `condition` every few milliseconds until it holds (returns true) or `timeout` passes
// (returns false). Bounded: never waits longer than `timeout` plus one poll.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// How much slower this build runs than an optimized one, for the few checks that bound a
// latency: SENSORGATE_TEST_TIME_SCALE (the tsan test preset sets 5, ThreadSanitizer's cost on
// the gateway's hot path); 1 when unset or not a positive integer.
int time_scale();

}  // namespace sensorgate::testing
