#include "tests/support/wait.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace sensorgate::testing {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int time_scale() {
  const char* text = std::getenv("SENSORGATE_TEST_TIME_SCALE");
  if (text == nullptr) return 1;
  const std::string_view value(text);
  int scale = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), scale);
  return error == std::errc() && end == value.data() + value.size() && scale > 0 ? scale : 1;
}

}  // namespace sensorgate::testing
