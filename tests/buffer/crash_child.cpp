// Child program of the buffer crash test: appends batches to the buffer at argv[1] as fast as it
// can while a second thread drains and marks rows delivered, and reports on stdout: "C first last"
// once an append is committed, "M first last" before rows are marked delivered (they may be gone
// from then on), "D first last" once that delivery is committed. The test kills it with SIGKILL at
// a random moment. argv[2]: the round number, written into every value so the test can tell rows
// apart; argv[3]: the seed of its random batch sizes.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "buffer/buffer.hpp"

namespace {

std::mutex output_mutex;

void report(char kind, std::int64_t first, std::int64_t last) {
  std::lock_guard lock(output_mutex);
  std::printf("%c %lld %lld\n", kind, static_cast<long long>(first), static_cast<long long>(last));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sensorgate;
  if (argc != 4) return 2;
  buffer::Options options;
  options.path = argv[1];
  options.commit_interval = std::chrono::milliseconds(1);
  auto opened = buffer::Buffer::open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  auto& buffer = *opened.value();
  const std::string round = argv[2];
  std::atomic<bool> stop{false};

  std::thread drainer([&] {
    while (!stop) {
      auto batch = buffer.next_batch(64);
      if (!batch.ok()) return;
      if (batch->empty()) continue;
      std::vector<std::int64_t> seqs;
      for (const auto& row : *batch) seqs.push_back(row.seq);
      report('M', seqs.front(), seqs.back());
      if (!buffer.mark_delivered(seqs).ok() || !buffer.sync().ok()) return;
      report('D', seqs.front(), seqs.back());
    }
  });

  std::mt19937 random(static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)));
  std::uniform_int_distribution<int> batch_size(1, 50);
  for (long n = 0; n < 10'000'000;) {
    std::vector<buffer::Record> records;
    for (int i = batch_size(random); i > 0; --i, ++n) {
      records.push_back(buffer::Record{"t", "dev-" + std::to_string(n % 7), n,
                                       "r" + round + "-" + std::to_string(n)});
    }
    const auto range = buffer.append(records);
    if (!range.ok()) break;
    report('C', range->first, range->last);
  }
  stop = true;
  drainer.join();
  return 0;
}
