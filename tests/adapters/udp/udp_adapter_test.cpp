// The udp adapter against real datagrams sent over loopback sockets.
#include "adapters/udp/udp_adapter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "tests/support/ports.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::udp {
namespace {

using adapters::IngestError;
using adapters::RejectReason;
using testing::free_udp_port;
using testing::wait_until;
using namespace std::chrono_literals;

// A ReadingSink that keeps what it is given; submit() blocks while closed (a full ingest queue).
class Sink final : public adapters::ReadingSink {
 public:
  Status<IngestError> submit_and_wait(std::vector<Reading> readings) override {
    return submit(std::move(readings));
  }
  Status<IngestError> submit(std::vector<Reading> readings) override {
    std::unique_lock lock(mutex_);
    ++blocked_;
    changed_.notify_all();
    changed_.wait_for(lock, 20s, [this] { return open_; });
    --blocked_;
    for (Reading& reading : readings) readings_.push_back(std::move(reading));
    return {};
  }
  void set_open(bool open) {
    {
      std::lock_guard lock(mutex_);
      open_ = open;
    }
    changed_.notify_all();
  }
  int blocked() const {
    std::lock_guard lock(mutex_);
    return blocked_;
  }
  std::vector<Reading> readings() const {
    std::lock_guard lock(mutex_);
    return readings_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int blocked_ = 0;
  std::vector<Reading> readings_;
};

class Sender {
 public:
  explicit Sender(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Sender() { ::close(fd_); }
  void send(std::string_view datagram) {
    REQUIRE(::sendto(fd_, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<const sockaddr*>(&to_),
                     sizeof to_) == static_cast<ssize_t>(datagram.size()));
  }

 private:
  int fd_;
  sockaddr_in to_{};
};

struct Receiver {
  explicit Receiver(Sink& sink, UdpSettings settings = {})
      : port(free_udp_port()), adapter("lines", with_port(std::move(settings), port), clock) {
    const auto started = adapter.start(sink);
    if (!started.ok()) FAIL(started.error().message);
  }
  static UdpSettings with_port(UdpSettings settings, std::uint16_t port) {
    settings.listen = "127.0.0.1:" + std::to_string(port);
    return settings;
  }
  std::uint64_t rejected(RejectReason reason) const {
    const auto counters = adapter.counters();
    const auto found = counters.rejected.find(reason);
    return found == counters.rejected.end() ? 0 : found->second;
  }

  ManualClock clock{1'700'000'000'000'000'000};
  std::uint16_t port;
  UdpAdapter adapter;
};

TEST_CASE("a datagram of influx lines becomes readings: device tag, field keys, timestamps") {
  Sink sink;
  Receiver receiver(sink);
  Sender sender(receiver.port);
  sender.send(
      "climate,device=hall-1,site=a temp=21.5,hum=40i 1763856000000000000\n"
      "pressure,device=boiler-1,unit=bar value=8.1\n");
  REQUIRE(wait_until([&] { return sink.readings().size() == 3; }));
  const auto readings = sink.readings();
  CHECK(readings[0].device == "hall-1");
  CHECK(readings[0].metric == "temp");
  CHECK(readings[0].tags == Tags{{"site", "a"}});
  CHECK(readings[0].ts_ns == 1'763'856'000'000'000'000);
  CHECK(readings[1].metric == "hum");
  CHECK(std::get<double>(readings[1].value) == 40);
  CHECK(readings[2].metric == "pressure");
  CHECK(readings[2].unit == "bar");
  CHECK(readings[2].ts_ns == receiver.clock.now_ns());
  CHECK(receiver.adapter.health().up);
  CHECK(receiver.adapter.counters().messages_received == 1);
}

TEST_CASE("bad lines are rejected with their reasons and the good lines of the datagram kept") {
  Sink sink;
  Receiver receiver(sink);
  Sender sender(receiver.port);
  sender.send(
      "m,device=a v=1\n"
      "m v=2\n"                    // no device tag: missing_field
      "m,device=b v=oops\n"        // bad_number
      "m,device=c\n"               // no fields: bad_line
      "m,device=d\xff v=3\n"       // invalid UTF-8: bad_line
      "m,device=e v=4 notatime\n"  // bad_line
      "m,device=f v=5\n");
  sender.send("garbage\n");
  sender.send("m,device=g v=6");
  REQUIRE(wait_until([&] { return receiver.adapter.counters().messages_received == 3; }));
  REQUIRE(wait_until([&] { return sink.readings().size() == 3; }));
  const auto readings = sink.readings();
  CHECK(readings[0].device == "a");
  CHECK(readings[1].device == "f");
  CHECK(readings[2].device == "g");
  CHECK(receiver.rejected(RejectReason::kMissingField) == 1);
  CHECK(receiver.rejected(RejectReason::kBadNumber) == 1);
  CHECK(receiver.rejected(RejectReason::kBadLine) == 4);
  CHECK(receiver.adapter.counters().readings_received == 3);
}

TEST_CASE("the precision key sets the unit of the timestamps") {
  Sink sink;
  UdpSettings settings;
  settings.precision = formats::TimestampUnit::kSeconds;
  Receiver receiver(sink, settings);
  Sender sender(receiver.port);
  sender.send("m,device=a v=1 1763856000");
  REQUIRE(wait_until([&] { return sink.readings().size() == 1; }));
  CHECK(sink.readings()[0].ts_ns == 1'763'856'000'000'000'000);
}

TEST_CASE("datagrams the kernel drops for a full receive buffer are counted as kernel_drop") {
  Sink sink;
  UdpSettings settings;
  settings.receive_buffer = Bytes{4096};
  Receiver receiver(sink, settings);
  Sender sender(receiver.port);
  // Hold the receive thread in submit(), as a full ingest queue would.
  sink.set_open(false);
  sender.send("m,device=first v=0");
  REQUIRE(wait_until([&] { return sink.blocked() == 1; }));
  constexpr int kFlood = 2000;
  for (int i = 0; i < kFlood; ++i) sender.send("m,device=d v=" + std::to_string(i));
  sink.set_open(true);
  // The kernel reports its drop count with the next datagram it delivers; keep sending one
  // until every datagram is either received or counted as dropped.
  const std::uint64_t sent = 1 + kFlood;
  std::uint64_t extra = 0;
  const bool accounted = wait_until([&] {
    sender.send("m,device=last v=1");
    ++extra;
    const auto counters = receiver.adapter.counters();
    return counters.messages_received + receiver.rejected(RejectReason::kKernelDrop) ==
           sent + extra;
  });
  CHECK(accounted);
  CHECK(receiver.rejected(RejectReason::kKernelDrop) > 0);
}

TEST_CASE("a udp listen address in use fails start with kCannotListen naming it") {
  Sink sink;
  Receiver first(sink);
  UdpSettings settings;
  settings.listen = "127.0.0.1:" + std::to_string(first.port);
  ManualClock clock;
  UdpAdapter second("second", settings, clock);
  const auto started = second.start(sink);
  REQUIRE(!started.ok());
  CHECK(started.error().code == adapters::StartError::kCannotListen);
  CHECK(started.error().message ==
        "udp[second]: cannot listen on " + settings.listen + ": Address already in use");
}

TEST_CASE("a udp listen address may name this machine, as check allows") {
  Sink sink;
  UdpSettings settings;
  const std::uint16_t port = free_udp_port();
  settings.listen = "localhost:" + std::to_string(port);
  ManualClock clock;
  UdpAdapter adapter("named", settings, clock);
  const auto started = adapter.start(sink);
  REQUIRE(started.ok());
  Sender sender(port);
  sender.send("m,device=a v=1");
  CHECK(wait_until([&] { return sink.readings().size() == 1; }));
}

TEST_CASE("stop ends the receive thread and marks the adapter down") {
  Sink sink;
  Receiver receiver(sink);
  receiver.adapter.stop(1s);
  CHECK(!receiver.adapter.health().up);
  CHECK(receiver.adapter.health().detail == "stopped");
}

}  // namespace
}  // namespace sensorgate::udp
