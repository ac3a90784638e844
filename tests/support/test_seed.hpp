// The seed of a test that kills processes at random moments: SENSORGATE_TEST_SEED=<n> replays a
// run, otherwise a fresh one. The seed is printed (Catch2 WARN) so a failure can be replayed.
#pragma once

#include <string_view>

namespace sensorgate::testing {

unsigned test_seed(std::string_view test);

}  // namespace sensorgate::testing
