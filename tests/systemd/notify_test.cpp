// The daemon's side of Type=notify, as systemd sees it: this test plays systemd. It owns the
// notification socket (an AF_UNIX datagram socket, NOTIFY_SOCKET), asks for a watchdog
// (WATCHDOG_USEC), points JOURNAL_STREAM at the daemon's stderr as systemd does for the journal,
// runs the real sensorgate binary with a real mosquitto and the Kafka cluster program, and reads
// what the daemon sends: READY=1, WATCHDOG=1 pings while its threads make rounds, none while the
// forwarder thread is wedged (the SENSORGATE_TEST_STALL_FORWARDER hook, core/heartbeat.hpp), and
// STOPPING=1 at SIGTERM, in that order.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "support/kafka_cluster.hpp"
#include "support/mosquitto.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kWatchdog = 6s;  // WatchdogSec as systemd would pass it (WATCHDOG_USEC)

// The notification socket systemd would own.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof(address.sun_path));
    path.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~NotifySocket() { ::close(fd_); }

  struct Message {
    SteadyClock::time_point at;
    std::string text;
  };

  // The next datagram, or nullopt when none comes within `timeout`.
  std::optional<Message> receive(std::chrono::milliseconds timeout) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char data[4096];
    const ssize_t size = ::recv(fd_, data, sizeof data, 0);
    if (size < 0) return std::nullopt;
    Message message{SteadyClock::now(), std::string(data, static_cast<std::size_t>(size))};
    received_.push_back(message);
    return message;
  }

  // Receives until a message containing `what` arrives (returned) or `timeout` passes.
  std::optional<Message> receive_until(const std::string& what, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      auto message = receive(std::max(left, 1ms));
      if (message && message->text.find(what) != std::string::npos) return message;
    }
    return std::nullopt;
  }

  // Every message received so far, in order.
  const std::vector<Message>& received() const { return received_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<Message> received_;
};

bool is_ping(const NotifySocket::Message& message) {
  return message.text.find("WATCHDOG=1") != std::string::npos;
}

std::string device_and_inode(const std::filesystem::path& file) {
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

std::string config_text(const TempDir& dir, const Mosquitto& mosquitto, const KafkaCluster& kafka) {
  return "gateway: {id: notify-test, data_dir: " + (dir / "state").string() +
         "}\n"
         "kafka:\n"
         "  brokers: " +
         kafka.bootstrap() +
         "\n"
         "adapters:\n"
         "  - name: plant-mqtt\n"
         "    type: mqtt\n"
         "    url: " +
         mosquitto.url() +
         "\n"
         "    subscriptions:\n"
         "      - {filter: plant/+/temp, payload: number, metric: temp, unit: C}\n";
}

}  // namespace

TEST_CASE(
    "the daemon notifies READY, pings the watchdog only while its threads run, then "
    "STOPPING") {
  TempDir dir;
  Mosquitto mosquitto;
  KafkaCluster kafka;
  const auto config = dir / "sensorgate.yaml";
  write_file(config, config_text(dir, mosquitto, kafka));
  const auto log_file = dir / "journal";
  write_file(log_file, "");
  const auto stall_file = dir / "stall-forwarder";
  NotifySocket notify(dir / "notify");

  SubprocessOptions options;
  options.pipe_stdout = false;
  options.stderr_file = log_file;
  options.environment = {
      "NOTIFY_SOCKET=" + notify.path().string(),
      "WATCHDOG_USEC=" + std::to_string(std::chrono::microseconds(kWatchdog).count()),
      "JOURNAL_STREAM=" + device_and_inode(log_file),
      "SENSORGATE_TEST_STALL_FORWARDER=" + stall_file.string(),
  };
  Subprocess gateway({std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate", "run", "--config",
                      config.string()},
                     options);
  auto log = [&] { return read_file(log_file); };

  const auto ready = notify.receive_until("READY=1", 30s);
  INFO(log());
  REQUIRE(ready);
  // Under the journal: a priority prefix and no time of its own.
  CHECK(log().find("<6>info gateway: sensorgate notify-test running: ") != std::string::npos);

  // Pings at the interval: systemd asks for one within WATCHDOG_USEC; sd_watchdog_enabled's
  // advice, which the daemon follows, is every half of it.
  std::vector<SteadyClock::time_point> pings;
  const auto watch_until = SteadyClock::now() + 5s;
  while (SteadyClock::now() < watch_until) {
    if (auto message = notify.receive(1s); message && is_ping(*message)) {
      pings.push_back(message->at);
    }
  }
  REQUIRE(pings.size() >= 3);
  CHECK(pings.front() - ready->at <= kWatchdog / 2);
  for (std::size_t i = 1; i < pings.size(); ++i) CHECK(pings[i] - pings[i - 1] <= kWatchdog / 2);

  // Wedge the forwarder thread: the pings must stop for longer than WatchdogSec, so systemd
  // would kill and restart the daemon.
  write_file(stall_file, "");
  const auto wedged_at = SteadyClock::now();
  auto last_ping = wedged_at;
  bool silent = false;
  while (!silent && SteadyClock::now() - wedged_at < 30s) {
    if (auto message = notify.receive(200ms); message && is_ping(*message)) {
      last_ping = message->at;
    }
    silent = SteadyClock::now() - last_ping > kWatchdog;
  }
  CHECK(silent);
  CHECK(wait_until([&] {
    return log().find("<3>error watchdog: forwarder made no round for ") != std::string::npos;
  }));

  // Released, the thread beats again and so do the pings.
  std::filesystem::remove(stall_file);
  CHECK(notify.receive_until("WATCHDOG=1", 5s));

  gateway.send_signal(SIGTERM);
  CHECK(notify.receive_until("STOPPING=1", 15s));
  const auto status = gateway.wait(30s);
  REQUIRE(status);
  CHECK(exit_code_of(*status) == 0);

  // In order: READY first, pings after it, STOPPING last and nothing after it.
  const auto& all = notify.received();
  std::size_t ready_at = all.size(), stopping_at = all.size(), first_ping = all.size();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].text.find("READY=1") != std::string::npos && ready_at == all.size()) ready_at = i;
    if (is_ping(all[i]) && first_ping == all.size()) first_ping = i;
    if (all[i].text.find("STOPPING=1") != std::string::npos) stopping_at = i;
  }
  CHECK(ready_at < first_ping);
  CHECK(first_ping < stopping_at);
  CHECK(stopping_at == all.size() - 1);
}

}  // namespace sensorgate::testing
