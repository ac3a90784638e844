// What the ingest benchmarks (bench_http, bench_udp) share: the sink an adapter feeds in a phase
// (the gateway's ingest pipeline into a fresh buffer, or a sink that only counts, to tell the
// adapter's own cost from the commit's), timing a phase's work into its PhaseFigures, and the
// line each phase prints. Single-threaded use from the phase's own thread, except the sinks,
// which are as thread-safe as ReadingSink requires.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "adapters/adapter.hpp"
#include "bench/support/child_phase.hpp"
#include "buffer/buffer.hpp"
#include "gateway/daemon/ingest.hpp"

namespace sensorgate::bench {

// The adapter alone: counts what it is handed and commits nothing.
class CountingSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override;
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override;
  std::uint64_t count() const { return count_.load(); }

 private:
  std::atomic<std::uint64_t> count_{0};
};

// The sink of one phase.
class IngestTarget {
 public:
  // With `options`, the ingest pipeline into a buffer opened with them (nullptr when it cannot
  // be opened); without, a CountingSink.
  static std::unique_ptr<IngestTarget> create(const std::optional<buffer::Options>& options);

  adapters::ReadingSink& sink();
  // Readings committed to the buffer, or counted.
  std::uint64_t taken() const;
  // Stops the pipeline (commits what is queued); nothing for a CountingSink.
  void stop();

 private:
  IngestTarget() = default;
  std::unique_ptr<buffer::Buffer> buffer_;
  std::unique_ptr<gateway::IngestPipeline> ingest_;
  CountingSink counting_;
};

// Runs `work` and fills figures.seconds and figures.cpu_seconds with the wall and CPU time it
// took; returns what `work` returned.
bool measure(PhaseFigures& figures, const std::function<bool()>& work);

// "<what> <rate> readings/s  <cpu> us CPU/reading  peak RSS <MiB> MiB"
void print_phase(const char* what, std::uint64_t readings, const PhaseFigures& figures);

}  // namespace sensorgate::bench
