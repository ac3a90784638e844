// UDP ingest benchmark: N readings (default 1,000,000) as influx line datagrams of 20 lines,
// received by the udp adapter and committed to the buffer through the ingest pipeline, next to
// a plain socket reader that receives and parses the same datagrams with the same parser, in the
// same run, as a ratio (target >= 0.8). Also CPU per reading and peak RSS of each phase.
//
//   bench_udp [--readings N]
//
// A third phase runs the adapter into a sink that only counts, to tell the adapter's own cost
// from the ingest pipeline's (JSON encoding and the SQLite group commit).
// UDP has no flow control, so the sender keeps at most kWindow datagrams ahead of what the
// receiver has taken from its socket: the figures are the receiver's rate, not the kernel's
// drop rate. A phase fails if the kernel dropped anything. Each phase runs in its own forked
// process (sender included in both), so its VmHWM and CPU time are its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/formats/influx_batch.hpp"
#include "adapters/udp/udp_adapter.hpp"
#include "bench/support/ingest_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/allocator_tuning.hpp"
#include "core/clock.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;

using sensorgate::bench::IngestTarget;
using sensorgate::bench::measure;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::print_phase;
using sensorgate::bench::run_in_child;

constexpr int kLinesPerDatagram = 20;
constexpr std::uint64_t kWindow = 256;  // datagrams in flight; fits the 4 MiB receive buffer
constexpr auto kGiveUp = std::chrono::minutes(5);

std::vector<std::string> make_datagrams(std::uint64_t readings) {
  std::vector<std::string> datagrams;
  const std::int64_t base_ns = 1'763'856'000'000'000'000;
  for (std::uint64_t first = 0; first < readings; first += kLinesPerDatagram) {
    std::string datagram;
    for (std::uint64_t n = first; n < first + kLinesPerDatagram && n < readings; ++n) {
      datagram += "climate,device=dev-" + std::to_string(n % 100) +
                  ",site=a temp=" + std::to_string(20.0 + (n % 500) / 100.0) + " " +
                  std::to_string(base_ns + static_cast<std::int64_t>(n) * 1000) + "\n";
    }
    datagrams.push_back(std::move(datagram));
  }
  return datagrams;
}

// Sends every datagram to `port`, never more than kWindow ahead of taken(); false on give-up.
bool send_all(std::uint16_t port, const std::vector<std::string>& datagrams,
              const std::function<std::uint64_t()>& taken) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto give_up = Clock::now() + kGiveUp;
  bool ok = true;
  for (std::uint64_t i = 0; i < datagrams.size() && ok; ++i) {
    while (i >= taken() + kWindow) {
      if (Clock::now() > give_up) ok = false;
      if (!ok) break;
      // A sleep, not a yield: a sender spinning on sched_yield took a core's share from the
      // receiver it waits for and counted as the phase's CPU (perf: 30% of the committed phase
      // in sched_yield). 50 us is a fifth of what the window holds at the reader's rate.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    if (ok && ::sendto(fd, datagrams[i].data(), datagrams[i].size(), 0,
                       reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
      ok = false;
    }
  }
  ::close(fd);
  return ok;
}

bool wait_for(const std::function<bool()>& done) {
  const auto give_up = Clock::now() + kGiveUp;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// The baseline: one thread receives datagram by datagram and parses them into readings.
bool socket_reader(const std::vector<std::string>& datagrams, std::uint64_t readings,
                   PhaseFigures& figures) {
  const std::uint16_t port = sensorgate::testing::free_udp_port();
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const int size = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return false;
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> parsed{0};
  std::atomic<std::uint64_t> bad{0};
  bool sent = false;
  (void)measure(figures, [&] {
    std::thread reader([&] {
      std::vector<char> buffer(65'536);
      sensorgate::formats::LineReadingOptions options;
      std::vector<sensorgate::Reading> out;
      while (parsed.load() + bad.load() < readings) {
        const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got <= 0) return;
        received.fetch_add(1);
        options.receive_ts_ns = sensorgate::SystemClock().now_ns();
        out.clear();
        bad += sensorgate::formats::append_influx_lines(
            std::string_view(buffer.data(), static_cast<std::size_t>(got)), options, out,
            [](std::size_t, sensorgate::adapters::RejectReason, std::string) {});
        parsed += out.size();
      }
    });
    sent = send_all(port, datagrams, [&] { return received.load(); });
    reader.join();
    return sent;
  });
  ::close(fd);
  return sent && parsed == readings && bad == 0;
}

// The gateway: udp adapter -> ingest pipeline -> committed in the buffer. With `commit` false
// the adapter hands its readings to a CountingSink instead (no commit).
bool gateway(const std::filesystem::path& dir, const std::vector<std::string>& datagrams,
             std::uint64_t readings, bool commit, PhaseFigures& figures) {
  sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
  std::optional<sensorgate::buffer::Options> options;
  if (commit) {
    options.emplace();  // the gateway's defaults: 10 ms group commits
    options->path = dir / "udp.db";
  }
  const auto target = IngestTarget::create(options);
  if (!target) return false;
  sensorgate::SystemClock clock;
  sensorgate::udp::UdpSettings settings;
  const std::uint16_t port = sensorgate::testing::free_udp_port();
  settings.listen = "127.0.0.1:" + std::to_string(port);
  sensorgate::udp::UdpAdapter adapter("bench", settings, clock);
  if (!adapter.start(target->sink()).ok()) return false;
  const bool all = measure(figures, [&] {
    return send_all(port, datagrams, [&] { return adapter.counters().messages_received; }) &&
           wait_for([&] { return target->taken() >= readings; });
  });
  adapter.stop(std::chrono::seconds(2));
  target->stop();
  const auto counters = adapter.counters();
  if (!counters.rejected.empty()) {
    std::fprintf(stderr, "bench_udp: the gateway rejected readings (%zu reasons)\n",
                 counters.rejected.size());
    return false;
  }
  return all && target->taken() == readings;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t readings = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--readings") == 0) readings = std::strtoull(argv[i + 1], nullptr, 10);
  }
  sensorgate::testing::TempDir dir;
  const std::vector<std::string> datagrams = make_datagrams(readings);
  std::printf("bench_udp: %llu readings in %zu datagrams of %d lines, window %llu datagrams\n",
              static_cast<unsigned long long>(readings), datagrams.size(), kLinesPerDatagram,
              static_cast<unsigned long long>(kWindow));
  const PhaseFigures plain = run_in_child(
      [&](PhaseFigures& figures) { return socket_reader(datagrams, readings, figures); });
  const PhaseFigures alone = run_in_child([&](PhaseFigures& figures) {
    return gateway(dir.path(), datagrams, readings, false, figures);
  });
  const PhaseFigures ingest = run_in_child([&](PhaseFigures& figures) {
    return gateway(dir.path(), datagrams, readings, true, figures);
  });
  if (!plain.ok || !alone.ok || !ingest.ok) {
    std::fprintf(stderr, "bench_udp: a phase failed (socket reader %d, adapter %d, gateway %d)\n",
                 plain.ok, alone.ok, ingest.ok);
    return 1;
  }
  print_phase("socket reader (parse only):", readings, plain);
  print_phase("udp adapter, no commit (counts):", readings, alone);
  print_phase("gateway udp ingest (committed):", readings, ingest);
  std::printf(
      "ratio committed/reader: %.2f (target >= 0.80); adapter without commit/reader: "
      "%.2f\n",
      plain.seconds / ingest.seconds, plain.seconds / alone.seconds);
  return 0;
}
