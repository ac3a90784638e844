// Who commits: a caller that waits for its commit (append(), sync()) commits on its own thread
// when no group is running, and otherwise waits for the running group; the writer thread keeps
// the rest (append_some's commit_interval, deliveries, maintenance). These tests pin that down
// with the kernel's per-thread I/O accounting and mixed loads on several threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "core/heartbeat.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

// Bytes this thread has written through write(2)-like calls since it started (Linux
// /proc/thread-self/io, "wchar").
std::uint64_t bytes_written_by_this_thread() {
  std::ifstream io("/proc/thread-self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  FAIL("no wchar in /proc/thread-self/io");
  return 0;
}

TEST_CASE("an append while no group runs is written to the WAL by the caller's own thread") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("warm-up", 0, 1)).ok());
  const std::uint64_t before = bytes_written_by_this_thread();
  REQUIRE(buffer->append(make_records("dev-1", 0, 3)).ok());
  // At least one WAL frame (a 4096-byte page and its header) went out from this thread.
  CHECK(bytes_written_by_this_thread() - before >= 4096);
  REQUIRE(buffer->sync().ok());
  CHECK(read_all(*buffer).size() == 4);
}

TEST_CASE("records queued by append_some join the group of a caller that commits at once") {
  TempDir dir;
  auto options = options_in(dir);
  options.commit_interval = std::chrono::seconds(30);  // the writer would wait that long
  auto buffer = open_buffer(options);
  const auto records = make_records("slow", 0, 2);
  // Catch assertions belong to the test's thread: the others only report.
  std::atomic<bool> stored_ok{false};
  std::jthread interval_appender([&] {
    stored_ok =
        buffer->append_some(records, std::chrono::steady_clock::now(), buffer::AtCap::kStoreAll)
            .ok();
  });
  // Give append_some the time to queue, then commit at once from here.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool joined = false;
  while (!joined && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(buffer->append(make_records("fast", 0, 1)).ok());
    joined = read_all(*buffer).size() >= 3;
  }
  interval_appender.join();
  CHECK(joined);
  CHECK(stored_ok);
}

// Appends `rows` records of dev-1 and hands them out as the forwarder does; returns their seqs.
std::vector<std::int64_t> append_and_hand_out(buffer::Buffer& buffer, int rows) {
  REQUIRE(buffer.append(make_records("dev-1", 0, rows)).ok());
  const auto batch = buffer.next_batch(static_cast<std::size_t>(rows));
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == static_cast<std::size_t>(rows));
  std::vector<std::int64_t> seqs;
  for (const auto& row : *batch) seqs.push_back(row.seq);
  return seqs;
}

TEST_CASE("delivered rows alone are deleted once delivery_hold has passed") {
  TempDir dir;
  auto options = options_in(dir);  // commit_interval 2 ms
  options.delivery_hold = std::chrono::milliseconds(100);
  auto buffer = open_buffer(options);
  const auto seqs = append_and_hand_out(*buffer, 4);
  const std::int64_t first[] = {seqs[0]};
  const auto delivered_at = std::chrono::steady_clock::now();
  REQUIRE(buffer->mark_delivered(first).ok());
  REQUIRE(wait_until([&] { return buffer->stats()->pending == 3; }));
  // Deleted after the hold, not within commit_interval; a slow machine only makes it later.
  CHECK(std::chrono::steady_clock::now() - delivered_at >= std::chrono::milliseconds(95));
}

TEST_CASE("appends commit without the deliveries still in their hold, and sync() takes them") {
  TempDir dir;
  auto options = options_in(dir);
  options.delivery_hold = std::chrono::seconds(30);
  auto buffer = open_buffer(options);
  const auto seqs = append_and_hand_out(*buffer, 4);
  const std::int64_t first[] = {seqs[0]};
  REQUIRE(buffer->mark_delivered(first).ok());
  // This group of appends leaves the delivery queued: the delivered row is still pending.
  REQUIRE(buffer->append(make_records("dev-1", 4, 1)).ok());
  CHECK(buffer->stats()->pending == 5);
  // sync() promises everything queued before it, deliveries included.
  REQUIRE(buffer->sync().ok());
  CHECK(buffer->stats()->pending == 4);
}

TEST_CASE("commit_max_rows delivered rows are deleted without waiting out the hold") {
  TempDir dir;
  auto options = options_in(dir);
  options.delivery_hold = std::chrono::seconds(30);
  options.commit_max_rows = 4;
  auto buffer = open_buffer(options);
  const auto seqs = append_and_hand_out(*buffer, 6);
  const std::int64_t three[] = {seqs[0], seqs[1], seqs[2]};
  REQUIRE(buffer->mark_delivered(three).ok());
  const std::int64_t fourth[] = {seqs[3]};
  REQUIRE(buffer->mark_delivered(fourth).ok());
  // Far sooner than the 30 s hold: the fourth row made the deliveries due.
  CHECK(wait_until([&] { return buffer->stats()->pending == 2; }));
}

TEST_CASE("deliveries in their hold are committed when the buffer closes") {
  TempDir dir;
  auto options = options_in(dir);
  options.delivery_hold = std::chrono::seconds(30);
  {
    auto buffer = open_buffer(options);
    const auto seqs = append_and_hand_out(*buffer, 3);
    const std::int64_t first[] = {seqs[0]};
    REQUIRE(buffer->mark_delivered(first).ok());
    buffer->close();
  }
  auto reopened = open_buffer(options);
  CHECK(reopened->stats()->pending == 2);
}

TEST_CASE("appends, interval appends and deliveries on several threads lose and repeat nothing") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  constexpr int kWaiting = 2, kInterval = 2, kAppends = 150, kPerAppend = 4;
  constexpr std::uint64_t kTotal = (kWaiting + kInterval) * kAppends * kPerAppend;
  std::atomic<int> appenders_left{kWaiting + kInterval};
  std::atomic<int> failed_appends{0};  // Catch assertions belong to the test's thread
  std::vector<std::jthread> threads;   // joined also when an assertion throws
  for (int t = 0; t < kWaiting + kInterval; ++t) {
    threads.emplace_back([&, t] {
      const bool at_once = t < kWaiting;
      for (int i = 0; i < kAppends; ++i) {
        const auto records = make_records("dev-" + std::to_string(t), i * kPerAppend, kPerAppend);
        if (at_once) {
          if (!buffer->append(records).ok()) ++failed_appends;
          continue;
        }
        for (std::size_t done = 0; done < records.size();) {
          const auto stored =
              buffer->append_some(std::span(records).subspan(done),
                                  std::chrono::steady_clock::now(), buffer::AtCap::kStoreAll);
          if (!stored.ok()) {
            ++failed_appends;
            break;
          }
          done += stored->stored;
        }
      }
      --appenders_left;
    });
  }
  // The drain: hands rows out and reports them delivered while the appenders run.
  std::uint64_t delivered = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((appenders_left > 0 || delivered < kTotal) &&
         std::chrono::steady_clock::now() < deadline) {
    const auto batch = buffer->next_batch(200);
    REQUIRE(batch.ok());
    if (batch->empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    std::vector<std::int64_t> seqs;
    for (const auto& row : *batch) seqs.push_back(row.seq);
    REQUIRE(buffer->mark_delivered(seqs).ok());
    delivered += seqs.size();
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed_appends == 0);
  REQUIRE(buffer->sync().ok());
  CHECK(delivered == kTotal);
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 0);
  CHECK(stats->delivered_total == kTotal);
}

TEST_CASE("wait_for_records returns once records are committed, at its timeout, or at close") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  using std::chrono::milliseconds;
  const auto timed = [](auto&& work) {
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::steady_clock::now() - start;
  };
  // Nothing committed: it waits out its timeout.
  const std::uint64_t seen = buffer->records_generation();
  CHECK(timed([&] { buffer->wait_for_records(seen, milliseconds(200)); }) >= milliseconds(200));
  // A commit wakes it long before its timeout.
  std::atomic<bool> appended{false};  // Catch assertions belong to the test's thread
  std::jthread appender([&] {
    std::this_thread::sleep_for(milliseconds(100));
    appended = buffer->append(make_records("dev", 0, 1)).ok();
  });
  CHECK(timed([&] { buffer->wait_for_records(seen, std::chrono::seconds(30)); }) <
        std::chrono::seconds(20));
  appender.join();
  REQUIRE(appended);
  CHECK(buffer->records_generation() != seen);
  // Deliveries and syncs commit no records: the count stays.
  const std::uint64_t after_append = buffer->records_generation();
  REQUIRE(buffer->sync().ok());
  CHECK(buffer->records_generation() == after_append);
  // Close wakes a waiter at once.
  std::jthread closer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    buffer->close();
  });
  CHECK(timed([&] { buffer->wait_for_records(after_append, std::chrono::seconds(30)); }) <
        std::chrono::seconds(20));
  closer.join();
}

TEST_CASE("the writer heartbeat stays fresh while callers commit on their own threads") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  auto oldest = std::chrono::steady_clock::duration::zero();
  const auto until =
      std::chrono::steady_clock::now() + 2 * Heartbeat::kMaxIdle + std::chrono::milliseconds(500);
  for (int n = 0; std::chrono::steady_clock::now() < until; ++n) {
    REQUIRE(buffer->append(make_records("dev", n, 1)).ok());
    oldest = std::max(oldest, buffer->writer_heartbeat().age());
  }
  CHECK(oldest < Heartbeat::kMaxIdle);
}

}  // namespace
}  // namespace sensorgate::testing
