// Mosquitto: a real mosquitto broker (/usr/sbin/mosquitto) for tests, listening on a free
// loopback port, with its config, persistence database and log in a private TempDir. It can be
// stopped and started again on the same port (with persistence, queued messages survive).
// Killed when the object goes away. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace sensorgate::testing {

struct MosquittoOptions {
  bool persistence = false;  // keep sessions and queued messages in a database across restarts
  std::uint16_t port = 0;    // 0: a free port
};

class Mosquitto {
 public:
  // Starts the broker and waits until it accepts connections; throws std::runtime_error (with
  // the broker's log) if it does not within 10 s.
  explicit Mosquitto(MosquittoOptions options = {});
  ~Mosquitto();
  Mosquitto(const Mosquitto&) = delete;
  Mosquitto& operator=(const Mosquitto&) = delete;

  // SIGTERM and wait: mosquitto saves its database on the way out. No-op when stopped.
  void stop();
  // Starts again on the same port, as the constructor does. No-op when running.
  void start();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  // The broker's log so far (for failure messages).
  std::string log() const;

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace sensorgate::testing
