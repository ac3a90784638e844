// Waiting on a condition with a deadline instead of sleeping a fixed time.
#pragma once

#include <chrono>
#include <functional>

namespace sensorgate::testing {

// Polls `condition` every few milliseconds until it holds (returns true) or `timeout` passes
// (returns false). Bounded: never waits longer than `timeout` plus one poll.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sensorgate::testing
