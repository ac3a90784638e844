// Heartbeat: proof that a worker thread is still making rounds of its loop. The thread calls
// beat() once per round (a loop that can wait for work wakes at least every kMaxIdle to beat);
// a supervisor (the systemd watchdog, gateway/daemon/watchdog.hpp) reads age(). One atomic, no
// lock: beat() and age() may be called from any thread at any time.
//
// Test hook: when the environment variable SENSORGATE_TEST_STALL_<NAME> (NAME upper-cased, e.g.
// SENSORGATE_TEST_STALL_FORWARDER) names a file, beat() blocks its thread for as long as that
// file exists, so a test can wedge a real thread and watch the supervisor notice. The variable is
// read once per Heartbeat, when it is constructed; without it beat() is one clock read and one
// atomic store.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

namespace sensorgate {

class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;
  // The longest a beating thread may wait for work before it beats again.
  static constexpr std::chrono::milliseconds kMaxIdle{1000};

  // `name` names the thread in the supervisor's messages ("buffer writer", "forwarder").
  // Construction counts as the first beat.
  explicit Heartbeat(std::string name);
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void beat();

  const std::string& name() const { return name_; }
  Clock::time_point last_beat() const;
  // Time since the last beat as seen at `now` (zero when `now` is earlier).
  Clock::duration age(Clock::time_point now = Clock::now()) const;

 private:
  const std::string name_;
  const std::string stall_file_;  // the test hook's file; empty unless a test set the variable
  std::atomic<Clock::rep> last_beat_;
};

}  // namespace sensorgate
