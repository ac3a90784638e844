// Buffer benchmark: grouped appends from 4 threads and drain+delete of a 1,000,000-row backlog,
// each next to raw SQLite doing the same inserts and deletes in the same run, as a ratio
// (target >= 0.8); and the time to answer backlog statistics on that backlog (target < 100 ms).
//
//   bench_buffer [--rows N] [--threads T] [--cli PATH-TO-sensorgate]
// --threads: appending threads (default 4), each appending 5000/T rows at a time.
// With --cli, also times `sensorgate backlog --json` as a process on the 1M-row buffer.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "buffer/buffer.hpp"
#include "core/reading.hpp"
#include "core/reading_json.hpp"
#include "raw_sqlite_baseline.hpp"

namespace {

using sensorgate::buffer::Record;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRowsPerCommit = 5000;  // commit_max_rows
int kThreads = 4;
std::size_t kRowsPerAppend = 1250;  // 4 threads x 1250 = one commit_max_rows group
constexpr std::size_t kDrainBatch = 1000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<Record> make_records(std::size_t count) {
  std::vector<Record> records;
  records.reserve(count);
  const std::int64_t start_ns = 1'763'856'000'000'000'000;
  for (std::size_t i = 0; i < count; ++i) {
    sensorgate::Reading reading;
    reading.device = "hall-" + std::to_string(i % 100);
    reading.metric = i % 2 == 0 ? "temp" : "hum";
    reading.value = 20.0 + static_cast<double>(i % 1000) / 100.0;
    reading.unit = i % 2 == 0 ? "C" : "%";
    reading.ts_ns = start_ns + static_cast<std::int64_t>(i) * 1'000'000;
    records.push_back(Record{"sensors.readings", reading.device, reading.ts_ns,
                             sensorgate::encode_reading_json(reading)});
  }
  return records;
}

std::unique_ptr<sensorgate::buffer::Buffer> open_buffer(const std::filesystem::path& path) {
  sensorgate::buffer::Options options;
  options.path = path;
  options.max_bytes = sensorgate::Bytes{8ull << 30};
  auto opened = sensorgate::buffer::Buffer::open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    std::exit(1);
  }
  return std::move(opened.value());
}

double gateway_append(sensorgate::buffer::Buffer& buffer, const std::vector<Record>& records) {
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  const std::size_t share = records.size() / kThreads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t begin = t * share;
      const std::size_t end = t == kThreads - 1 ? records.size() : begin + share;
      for (std::size_t i = begin; i < end; i += kRowsPerAppend) {
        const std::span<const Record> batch(records.data() + i, std::min(kRowsPerAppend, end - i));
        if (!buffer.append(batch).ok()) std::abort();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return seconds_since(start);
}

double gateway_drain(sensorgate::buffer::Buffer& buffer, std::size_t& drained) {
  drained = 0;
  const auto start = Clock::now();
  std::vector<std::int64_t> seqs;
  for (;;) {
    auto batch = buffer.next_batch(kDrainBatch);
    if (!batch.ok()) std::abort();
    if (batch->empty()) break;
    seqs.clear();
    for (const auto& row : *batch) seqs.push_back(row.seq);
    if (!buffer.mark_delivered(seqs).ok()) std::abort();
    drained += seqs.size();
  }
  if (!buffer.sync().ok()) std::abort();
  return seconds_since(start);
}

double best_backlog_seconds(const std::filesystem::path& path, std::uint64_t& pending) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    const auto stats = sensorgate::buffer::read_backlog(path);
    best = std::min(best, seconds_since(start));
    if (!stats.ok()) std::abort();
    pending = stats->pending;
  }
  return best;
}

double best_cli_seconds(const std::string& cli, const std::filesystem::path& dir,
                        const std::filesystem::path& db) {
  const auto config = dir / "bench.yaml";
  std::ofstream(config) << "gateway: {id: bench, data_dir: " << dir.string() << "}\n"
                        << "buffer: {path: " << db.string() << "}\n"
                        << "kafka: {brokers: 127.0.0.1:9092}\n";
  const std::string command = cli + " backlog --json --config " + config.string() + " > /dev/null";
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "failed: %s\n", command.c_str());
      return -1;
    }
    best = std::min(best, seconds_since(start));
  }
  return best;
}

void print_ratio(const char* what, std::size_t rows, double gateway_s, double raw_s) {
  const double gateway_rate = rows / gateway_s, raw_rate = rows / raw_s;
  std::printf(
      "%-34s gateway %9.0f rows/s   raw SQLite %9.0f rows/s   ratio %.2f (target >= 0.80)\n", what,
      gateway_rate, raw_rate, gateway_rate / raw_rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1'000'000;
  std::string cli;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rows") rows = std::stoul(argv[i + 1]);
    if (flag == "--cli") cli = argv[i + 1];
    if (flag == "--threads") {
      kThreads = std::stoi(argv[i + 1]);
      kRowsPerAppend = kRowsPerCommit / kThreads;
    }
  }
  char pattern[] = "/tmp/bench_buffer.XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern);
  const auto records = make_records(rows);
  std::printf("buffer bench: %zu rows of ~%zu bytes, %d appending threads, %zu rows per append\n",
              rows, records[0].value.size(), kThreads, kRowsPerAppend);

  const double raw_insert_s =
      sensorgate::bench::raw_insert(dir / "raw.db", records, kRowsPerCommit);
  auto buffer = open_buffer(dir / "buffer.db");
  const double append_s = gateway_append(*buffer, records);
  print_ratio(("grouped appends (" + std::to_string(kThreads) + " threads):").c_str(), rows,
              append_s, raw_insert_s);

  std::uint64_t pending = 0;
  const double backlog_s = best_backlog_seconds(dir / "buffer.db", pending);
  std::printf(
      "backlog statistics on %llu pending rows: %.1f ms (in-process read_backlog, best of 5; "
      "target < 100 ms)\n",
      static_cast<unsigned long long>(pending), backlog_s * 1000);
  if (!cli.empty()) {
    const double cli_s = best_cli_seconds(cli, dir, dir / "buffer.db");
    std::printf(
        "`sensorgate backlog --json` on %llu pending rows: %.1f ms (whole process, best of 5; "
        "target < 100 ms)\n",
        static_cast<unsigned long long>(pending), cli_s * 1000);
  }

  std::size_t raw_drained = 0, drained = 0;
  const double raw_drain_s =
      sensorgate::bench::raw_drain(dir / "raw.db", kDrainBatch, kRowsPerCommit, raw_drained);
  const double drain_s = gateway_drain(*buffer, drained);
  if (drained != rows || raw_drained != rows) {
    std::fprintf(stderr, "drained %zu (raw %zu) of %zu rows\n", drained, raw_drained, rows);
    return 1;
  }
  print_ratio("drain + delete of the backlog:", rows, drain_s, raw_drain_s);
  buffer->close();
  std::filesystem::remove_all(dir);
  return 0;
}
