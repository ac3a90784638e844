// Crash safety: a child appends and drains while the test kills it with SIGKILL at random
// moments; after each kill every committed, undelivered row is there exactly once and new seqs
// keep increasing. The test prints its random seed; SENSORGATE_TEST_SEED=<seed> replays one (the
// kill times and the children's batch sizes; the scheduling of the child stays the machine's).
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/test_seed.hpp"

namespace sensorgate::testing {
namespace {

struct Reported {
  std::set<std::int64_t> committed;
  std::set<std::int64_t> being_delivered;  // mark_delivered called: may be gone
  std::set<std::int64_t> delivered;        // delivery committed: must be gone
  std::int64_t max_seq = 0;
};

void take_line(const std::string& line, Reported& reported) {
  std::istringstream in(line);
  char kind = 0;
  std::int64_t first = 0, last = 0;
  in >> kind >> first >> last;
  REQUIRE(in);
  REQUIRE(first <= last);
  for (auto seq = first; seq <= last; ++seq) {
    if (kind == 'C') {
      CHECK(reported.committed.insert(seq).second);  // no seq is handed out twice
    } else if (kind == 'M') {
      reported.being_delivered.insert(seq);
    } else {
      REQUIRE(kind == 'D');
      reported.delivered.insert(seq);
    }
  }
  reported.max_seq = std::max(reported.max_seq, last);
}

TEST_CASE("after SIGKILL at random moments every committed undelivered row is there exactly once") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  const std::string child = std::string(SENSORGATE_BINARY_DIR) + "/tests/buffer/buffer_crash_child";
  const unsigned seed = test_seed("buffer crash test");
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(5, 150);
  Reported reported;
  constexpr int kRounds = 20;

  for (int round = 0; round < kRounds; ++round) {
    SubprocessOptions child_options;
    child_options.stderr_file = dir / "child.err";
    Subprocess process({child, path.string(), std::to_string(round), std::to_string(random())},
                       child_options);
    // The child is killed a random time after its first report, so that every round kills it
    // while it works, however long it took to start.
    std::size_t lines = 0;
    const auto first_line = process.read_line(std::chrono::seconds(30));
    REQUIRE(first_line);
    take_line(*first_line, reported);
    ++lines;
    const auto kill_at =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms(random));
    while (std::chrono::steady_clock::now() < kill_at) {
      const auto line = process.read_line(std::chrono::milliseconds(5));
      if (line) {
        take_line(*line, reported);
        ++lines;
      }
    }
    process.send_signal(SIGKILL);
    // What the child reported before it died is durable too.
    for (int i = 0; i < 1'000'000; ++i) {
      const auto line = process.read_line(std::chrono::seconds(5));
      if (!line) break;
      take_line(*line, reported);
      ++lines;
    }
    const auto status = process.wait(std::chrono::seconds(5));
    REQUIRE(status);
    INFO("seed " << seed << ", round " << round
                 << ", child stderr: " << read_file(dir / "child.err"));
    REQUIRE(exit_code_of(*status) == 128 + SIGKILL);

    // Reopen as the next daemon would, and check the invariants.
    auto buffer = open_buffer(buffer::Options{.path = path});
    const auto rows = read_all(*buffer);
    std::set<std::int64_t> present;
    std::set<std::string> values;
    for (const auto& row : rows) {
      present.insert(row.seq);
      CHECK(values.insert(row.record.value).second);  // no row is stored twice
    }
    std::size_t missing = 0, undead = 0;
    for (const auto seq : reported.committed) {
      const bool delivered = reported.delivered.count(seq) > 0;
      const bool maybe_delivered = reported.being_delivered.count(seq) > 0;
      if (!maybe_delivered && present.count(seq) == 0) ++missing;
      if (delivered && present.count(seq) > 0) ++undead;
    }
    CHECK(missing == 0);
    CHECK(undead == 0);
    // The child held per-device counts when it died (it commits every millisecond): the open
    // counted them again from the rows.
    std::map<std::string, std::uint64_t> rows_by_device;
    for (const auto& row : rows) ++rows_by_device[row.record.key];
    const auto stats = buffer->stats();
    REQUIRE(stats.ok());
    std::map<std::string, std::uint64_t> counted_by_device;
    for (const auto& device : stats->by_device) counted_by_device[device.name] = device.pending;
    CHECK(counted_by_device == rows_by_device);
    CHECK(stats->pending == rows.size());
    const auto next = buffer->append(make_records("after-crash", round, 1));
    REQUIRE(next.ok());
    CHECK(next->first > reported.max_seq);
    CHECK(next->first > (rows.empty() ? 0 : rows.back().seq));
    reported.max_seq = next->last;
    reported.committed.insert(next->first);
  }
}

}  // namespace
}  // namespace sensorgate::testing
