#include "core/heartbeat.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <thread>

namespace sensorgate {
namespace {

std::string stall_file_for(std::string_view name) {
  std::string variable = "SENSORGATE_TEST_STALL_";
  for (const char c : name) {
    variable += std::isalnum(static_cast<unsigned char>(c))
                    ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                    : '_';
  }
  const char* value = std::getenv(variable.c_str());
  return value != nullptr ? std::string(value) : std::string();
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

}  // namespace

Heartbeat::Heartbeat(std::string name)
    : name_(std::move(name)),
      stall_file_(stall_file_for(name_)),
      last_beat_(Clock::now().time_since_epoch().count()) {}

void Heartbeat::beat() {
  // The test hook: a wedged thread does not beat, it just waits.
  if (!stall_file_.empty()) {
    while (exists(stall_file_)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  last_beat_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

Heartbeat::Clock::time_point Heartbeat::last_beat() const {
  return Clock::time_point(Clock::duration(last_beat_.load(std::memory_order_relaxed)));
}

Heartbeat::Clock::duration Heartbeat::age(Clock::time_point now) const {
  const auto last = last_beat();
  return now > last ? now - last : Clock::duration::zero();
}

}  // namespace sensorgate
