#include "support/test_seed.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

namespace sensorgate::testing {

unsigned test_seed(std::string_view test) {
  const char* replay = std::getenv("SENSORGATE_TEST_SEED");
  const unsigned seed = replay != nullptr ? static_cast<unsigned>(std::strtoul(replay, nullptr, 10))
                                          : std::random_device{}();
  WARN(std::string(test) << " seed " << seed << " (replay: SENSORGATE_TEST_SEED=" << seed << ")");
  return seed;
}

}  // namespace sensorgate::testing
