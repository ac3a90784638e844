#include "tests/support/mosquitto.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/ports.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::testing {
namespace {

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Mosquitto::Mosquitto(MosquittoOptions options)
    : port_(options.port != 0 ? options.port : free_tcp_port()) {
  // The queue limit is raised because mosquitto's default (1000) silently drops QoS 1
  // messages to a subscriber that falls behind; `user root` keeps a root broker from dropping
  // privileges to a user that cannot write into the temp dir.
  std::string config = "listener " + std::to_string(port_) +
                       " 127.0.0.1\n"
                       "allow_anonymous true\n"
                       "max_queued_messages 1000000\n"
                       "user root\n"
                       "log_dest stderr\n"
                       "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  if (options.persistence) {
    config += "persistence true\npersistence_location " + dir_.path().string() + "/\n";
  }
  write_file(dir_ / "mosquitto.conf", config);
  start();
}

Mosquitto::~Mosquitto() = default;

void Mosquitto::start() {
  if (process_ && process_->running()) return;
  SubprocessOptions options;
  // A pipe nobody reads, rather than the test's stdout: a broker left behind by a crashed test
  // must not hold the test runner's output open.
  options.pipe_stdout = true;
  options.stderr_file = dir_ / "mosquitto.log";
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{"/usr/sbin/mosquitto", "-c", (dir_ / "mosquitto.conf").string()},
      options);
  if (!wait_until([&] { return accepts_connections(port_) || !process_->running(); }) ||
      !process_->running()) {
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ":\n" +
                             log());
  }
}

void Mosquitto::stop() {
  if (!process_) return;
  process_->stop();
  process_.reset();
}

std::string Mosquitto::log() const {
  return std::filesystem::exists(dir_ / "mosquitto.log") ? read_file(dir_ / "mosquitto.log") : "";
}

}  // namespace sensorgate::testing
