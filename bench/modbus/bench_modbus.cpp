// Modbus poll benchmark: polls of 100 contiguous holding registers (one request each) from the
// modbus_server program on loopback, through the modbus adapter (decode, readings, on_change off)
// into a sink that only counts, next to a bare libmodbus loop that reads the same registers from
// the same server in the same run, as a ratio (target >= 0.9). Also CPU per reading and peak RSS
// of each, and the adapter into the ingest pipeline with group commits to the buffer (not part
// of the ratio: there SQLite bounds the rate).
//
//   bench_modbus [--polls N]     (default 20,000 polls, 100 readings each)
//
// Every phase runs in its own forked process, so its VmHWM and CPU time are its own; the server
// is one process for all of them. Bare and adapter phases alternate for three rounds and each
// keeps its fastest round.
#include <modbus/modbus.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "adapters/modbus/modbus_adapter.hpp"
#include "bench/support/child_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/allocator_tuning.hpp"
#include "core/clock.hpp"
#include "gateway/daemon/ingest.hpp"
#include "tests/adapters/modbus/modbus_device.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::process_cpu_seconds;
using sensorgate::bench::run_in_child;

constexpr int kFirstRegister = 1000;  // modbus_server's block: 1000 + i
constexpr int kRegisters = 100;
constexpr auto kGiveUp = std::chrono::minutes(5);
constexpr int kRounds = 3;

struct Run {
  std::uint16_t port = 0;
  std::uint64_t polls = 0;
  std::filesystem::path dir;
};

bool wait_for(const std::function<bool()>& done) {
  const auto give_up = Clock::now() + kGiveUp;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The baseline: libmodbus reads the block in a loop on a thread of its own and checks one value,
// while this thread waits for it the way the adapter phase waits for its sink (same harness).
bool bare_loop(const Run& run, PhaseFigures& figures) {
  modbus_t* context = modbus_new_tcp("127.0.0.1", run.port);
  if (context == nullptr || modbus_connect(context) != 0) return false;
  std::atomic<std::uint64_t> polls{0};
  std::atomic<bool> failed{false};
  std::uint64_t sum = 0;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  std::thread reader([&] {
    std::vector<std::uint16_t> words(kRegisters);
    for (std::uint64_t i = 0; i < run.polls; ++i) {
      if (modbus_read_registers(context, kFirstRegister, kRegisters, words.data()) != kRegisters) {
        std::fprintf(stderr, "bench_modbus: bare read failed: %s\n", modbus_strerror(errno));
        failed = true;
        return;
      }
      sum += words[kRegisters - 1];
      polls.fetch_add(1, std::memory_order_relaxed);
    }
  });
  const bool all = wait_for([&] { return failed || polls.load() >= run.polls; });
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  reader.join();
  modbus_close(context);
  modbus_free(context);
  return all && !failed && sum == run.polls * (kFirstRegister + kRegisters - 1);
}

class CountingSink final : public sensorgate::adapters::ReadingSink {
 public:
  sensorgate::Status<sensorgate::adapters::IngestError> submit_and_wait(
      std::vector<sensorgate::Reading> readings) override {
    return submit(std::move(readings));
  }
  sensorgate::Status<sensorgate::adapters::IngestError> submit(
      std::vector<sensorgate::Reading> readings) override {
    readings_.fetch_add(readings.size(), std::memory_order_relaxed);
    return {};
  }
  std::uint64_t readings() const { return readings_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> readings_{0};
};

sensorgate::modbus::ModbusSettings adapter_settings(const Run& run) {
  sensorgate::modbus::ModbusSettings settings;
  settings.port = run.port;
  settings.poll = std::chrono::nanoseconds(1);  // back to back
  for (int i = 0; i < kRegisters; ++i) {
    sensorgate::modbus::Register reg;
    reg.address = static_cast<std::uint16_t>(kFirstRegister + i);
    reg.device = "bench-" + std::to_string(i % 10);
    reg.metric = "r" + std::to_string(i);
    reg.unit = "C";
    reg.scale = 0.1;
    settings.registers.push_back(reg);
  }
  return settings;
}

// The adapter into a counting sink, or (`commit`) into the ingest pipeline and the buffer.
bool adapter_phase(const Run& run, bool commit, PhaseFigures& figures) {
  sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
  const std::uint64_t readings = run.polls * kRegisters;
  CountingSink counting;
  std::unique_ptr<sensorgate::buffer::Buffer> buffer;
  std::unique_ptr<sensorgate::gateway::IngestPipeline> ingest;
  if (commit) {
    sensorgate::buffer::Options options;  // the gateway's defaults: 10 ms / 5000-row commits
    options.path = run.dir / "bench.db";
    auto opened = sensorgate::buffer::Buffer::open(options);
    if (!opened) return false;
    buffer = std::move(*opened);
    ingest = std::make_unique<sensorgate::gateway::IngestPipeline>(*buffer, "sensors.readings");
  }
  sensorgate::SystemClock clock;
  sensorgate::modbus::ModbusAdapter adapter("bench", adapter_settings(run), clock);
  const auto received = [&]() -> std::uint64_t {
    return commit ? ingest->counters().committed : counting.readings();
  };
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  if (commit ? !adapter.start(*ingest).ok() : !adapter.start(counting).ok()) return false;
  const bool all = wait_for([&] { return received() >= readings; });
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  adapter.stop(std::chrono::seconds(2));
  if (ingest) ingest->stop(std::chrono::seconds(10));
  const auto counters = adapter.counters();
  if (!counters.rejected.empty()) {
    std::fprintf(stderr, "bench_modbus: the adapter counted %zu failure reason(s)\n",
                 counters.rejected.size());
    return false;
  }
  // The adapter polls on until stopped: the time is taken when the target count is reached.
  return all;
}

void print_phase(const char* what, const Run& run, const PhaseFigures& figures) {
  const double polls = static_cast<double>(run.polls);
  std::printf("%-38s %8.0f polls/s  %8.0f readings/s  %5.2f us CPU/reading  peak RSS %6.1f MiB\n",
              what, polls / figures.seconds, polls * kRegisters / figures.seconds,
              figures.cpu_seconds * 1e6 / (polls * kRegisters),
              static_cast<double>(figures.peak_rss_kib) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.polls = 20'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--polls") == 0) run.polls = std::strtoull(argv[i + 1], nullptr, 10);
  }
  sensorgate::testing::TempDir dir;
  sensorgate::testing::ModbusDevice device;
  run.port = device.port();
  run.dir = dir.path();
  std::printf(
      "bench_modbus: %llu polls of %d contiguous holding registers, modbus_server on "
      "127.0.0.1:%u\n",
      static_cast<unsigned long long>(run.polls), kRegisters, run.port);

  // Bare and adapter phases alternate, three rounds, and each keeps its fastest: on a shared box
  // a neighbour's burst then spoils one round, not the ratio.
  PhaseFigures bare, adapter;
  for (int round = 0; round < kRounds; ++round) {
    const PhaseFigures b = run_in_child([&](PhaseFigures& f) { return bare_loop(run, f); });
    const PhaseFigures a =
        run_in_child([&](PhaseFigures& f) { return adapter_phase(run, false, f); });
    if (!b.ok || !a.ok) {
      std::fprintf(stderr, "bench_modbus: round %d failed (bare %d, adapter %d)\n", round, b.ok,
                   a.ok);
      return 1;
    }
    std::printf("round %d: bare %.0f polls/s, adapter %.0f polls/s\n", round + 1,
                static_cast<double>(run.polls) / b.seconds,
                static_cast<double>(run.polls) / a.seconds);
    if (round == 0 || b.seconds < bare.seconds) bare = b;
    if (round == 0 || a.seconds < adapter.seconds) adapter = a;
  }
  const PhaseFigures committed =
      run_in_child([&](PhaseFigures& f) { return adapter_phase(run, true, f); });
  if (!committed.ok) {
    std::fprintf(stderr, "bench_modbus: the committed phase failed\n");
    return 1;
  }
  print_phase("bare libmodbus read loop (best):", run, bare);
  print_phase("modbus adapter, counting sink (best):", run, adapter);
  print_phase("modbus adapter -> buffer (committed):", run, committed);
  std::printf("ratio adapter/bare: %.2f (target >= 0.90); committed/bare: %.2f\n",
              bare.seconds / adapter.seconds, bare.seconds / committed.seconds);
  return 0;
}
