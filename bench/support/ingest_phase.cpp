#include "bench/support/ingest_phase.hpp"

#include <chrono>
#include <cstdio>

namespace sensorgate::bench {

Status<adapters::IngestError> CountingSink::submit_and_wait(std::vector<Reading> readings) {
  count_ += readings.size();
  return {};
}

Status<adapters::IngestError> CountingSink::submit(std::vector<Reading> readings) {
  return submit_and_wait(std::move(readings));
}

std::unique_ptr<IngestTarget> IngestTarget::create(const std::optional<buffer::Options>& options) {
  std::unique_ptr<IngestTarget> target(new IngestTarget());
  if (!options) return target;
  auto opened = buffer::Buffer::open(*options);
  if (!opened.ok()) {
    std::fprintf(stderr, "bench: cannot open the buffer: %s\n", opened.error().message.c_str());
    return nullptr;
  }
  target->buffer_ = std::move(opened).value();
  target->ingest_ = std::make_unique<gateway::IngestPipeline>(*target->buffer_, "sensors.readings");
  return target;
}

adapters::ReadingSink& IngestTarget::sink() {
  if (ingest_) return *ingest_;
  return counting_;
}

std::uint64_t IngestTarget::taken() const {
  return ingest_ ? ingest_->counters().committed : counting_.count();
}

void IngestTarget::stop() {
  if (ingest_) ingest_->stop(std::chrono::seconds(5));
}

bool measure(PhaseFigures& figures, const std::function<bool()>& work) {
  const double cpu_start = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const bool ok = work();
  figures.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  return ok;
}

void print_phase(const char* what, std::uint64_t readings, const PhaseFigures& figures) {
  std::printf("%-36s %9.0f readings/s  %5.2f us CPU/reading  peak RSS %6.1f MiB\n", what,
              static_cast<double>(readings) / figures.seconds,
              figures.cpu_seconds * 1e6 / static_cast<double>(readings),
              static_cast<double>(figures.peak_rss_kib) / 1024);
}

}  // namespace sensorgate::bench
