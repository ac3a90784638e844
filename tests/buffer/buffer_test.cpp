// Behaviour of the SQLite buffer: order, seq, drain side, aggregates, reopen.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <thread>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

std::vector<std::int64_t> seqs_of(const std::vector<buffer::StoredRecord>& records) {
  std::vector<std::int64_t> seqs;
  for (const auto& record : records) seqs.push_back(record.seq);
  return seqs;
}

TEST_CASE(
    "append returns contiguous increasing seqs and next_batch gives the records back in order") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  const auto first = buffer->append(make_records("boiler-1", 0, 3));
  REQUIRE(first.ok());
  const auto second = buffer->append(make_records("hall-2", 10, 2));
  REQUIRE(second.ok());
  CHECK(first->last - first->first == 2);
  CHECK(second->first == first->last + 1);
  CHECK(second->last == second->first + 1);

  const auto all = read_all(*buffer);
  REQUIRE(all.size() == 5);
  CHECK(all[0].seq == first->first);
  CHECK(all[0].record.key == "boiler-1");
  CHECK(all[0].record.topic == "sensors.readings");
  CHECK(all[0].record.value == make_record("boiler-1", 0).value);
  CHECK(all[0].record.ts_ns == make_record("boiler-1", 0).ts_ns);
  CHECK(all[4].record.key == "hall-2");
  CHECK(all[4].record.value == make_record("hall-2", 11).value);
}

TEST_CASE("next_batch skips rows in flight and rewind hands them out again") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
  const auto first = buffer->next_batch(4);
  REQUIRE(first.ok());
  const auto second = buffer->next_batch(100);
  REQUIRE(second.ok());
  CHECK(first->size() == 4);
  CHECK(second->size() == 6);
  CHECK(second->front().seq == first->back().seq + 1);
  CHECK(buffer->next_batch(100)->empty());

  buffer->rewind();
  const auto again = buffer->next_batch(100);
  REQUIRE(again.ok());
  CHECK(again->size() == 10);
  CHECK(again->front().seq == first->front().seq);
}

TEST_CASE("rows marked delivered in any order are deleted and counted") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
  const auto batch = buffer->next_batch(10);
  REQUIRE(batch.ok());
  const auto seqs = seqs_of(*batch);
  const std::vector<std::int64_t> delivered{seqs[7], seqs[0], seqs[3], seqs[4], seqs[9]};
  REQUIRE(buffer->mark_delivered(delivered).ok());
  REQUIRE(buffer->sync().ok());

  const auto left = seqs_of(read_all(*buffer));
  CHECK(left == std::vector<std::int64_t>{seqs[1], seqs[2], seqs[5], seqs[6], seqs[8]});
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 5);
  CHECK(stats->delivered_total == 5);
}

TEST_CASE("marking an unknown or already delivered seq changes nothing") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  const auto range = buffer->append(make_records("d", 0, 2));
  REQUIRE(range.ok());
  const std::vector<std::int64_t> once{range->first};
  REQUIRE(buffer->mark_delivered(once).ok());
  REQUIRE(buffer->mark_delivered(once).ok());
  const std::vector<std::int64_t> unknown{range->last + 1000};
  REQUIRE(buffer->mark_delivered(unknown).ok());
  REQUIRE(buffer->sync().ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 1);
  CHECK(stats->delivered_total == 1);
}

TEST_CASE("seq is never reused, also after the table was emptied and the buffer reopened") {
  TempDir dir;
  std::int64_t last_seq = 0;
  {
    auto buffer = open_buffer(options_in(dir));
    const auto range = buffer->append(make_records("d", 0, 5));
    REQUIRE(range.ok());
    last_seq = range->last;
    const auto seqs = seqs_of(read_all(*buffer));
    REQUIRE(buffer->mark_delivered(seqs).ok());
    REQUIRE(buffer->sync().ok());
    REQUIRE(buffer->stats()->pending == 0);
  }
  auto buffer = open_buffer(options_in(dir));
  const auto range = buffer->append(make_records("d", 5, 1));
  REQUIRE(range.ok());
  CHECK(range->first == last_seq + 1);
}

TEST_CASE("backlog statistics count pending rows and bytes per topic and per device") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  std::vector<buffer::Record> records{make_record("boiler-1", 1, "plant.boilers"),
                                      make_record("boiler-1", 2, "plant.boilers"),
                                      make_record("hall-1", 3, "plant.climate")};
  REQUIRE(buffer->append(records).ok());
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  std::uint64_t bytes = 0;
  for (const auto& record : records)
    bytes += record.topic.size() + record.key.size() + record.value.size();
  CHECK(stats->pending == 3);
  CHECK(stats->pending_bytes == bytes);
  CHECK(stats->oldest_ts_ns == records[0].ts_ns);
  CHECK(stats->newest_ts_ns == records[2].ts_ns);
  CHECK(stats->db_bytes > 0);
  REQUIRE(stats->by_topic.size() == 2);
  CHECK(stats->by_topic[0].name == "plant.boilers");
  CHECK(stats->by_topic[0].pending == 2);
  CHECK(stats->by_topic[1].name == "plant.climate");
  CHECK(stats->by_topic[1].pending == 1);
  REQUIRE(stats->by_device.size() == 2);
  CHECK(stats->by_device[0].name == "boiler-1");
  CHECK(stats->by_device[0].pending_bytes ==
        bytes - (records[2].topic.size() + records[2].key.size() + records[2].value.size()));

  // A device whose rows are all delivered disappears from the per-device view.
  const auto all = read_all(*buffer);
  const std::vector<std::int64_t> hall{all[2].seq};
  REQUIRE(buffer->mark_delivered(hall).ok());
  REQUIRE(buffer->sync().ok());
  const auto after = buffer->stats();
  REQUIRE(after->by_device.size() == 1);
  CHECK(after->by_device[0].name == "boiler-1");
  CHECK(after->by_topic.size() == 1);
}

TEST_CASE("per-device counts are exact in stats() while the file's rows lag, then catch up") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  const auto path = dir / "buffer.db";
  // The first transaction writes its per-device rows; the next ones, within a second, hold theirs.
  REQUIRE(buffer->append(make_records("boiler-1", 0, 3)).ok());
  REQUIRE(buffer->append(make_records("hall-2", 0, 4)).ok());
  REQUIRE(buffer->append(make_records("boiler-1", 3, 2)).ok());

  const auto exact = buffer->stats();
  REQUIRE(exact.ok());
  CHECK_FALSE(exact->by_device_behind);
  REQUIRE(exact->by_device.size() == 2);
  CHECK(exact->by_device[0].name == "boiler-1");
  CHECK(exact->by_device[0].pending == 5);
  CHECK(exact->by_device[1].name == "hall-2");
  CHECK(exact->by_device[1].pending == 4);

  const auto from_file = buffer::read_backlog(path);
  REQUIRE(from_file.ok());
  CHECK(from_file->pending == 9);  // the totals are exact in every transaction
  CHECK(from_file->by_device_behind);
  REQUIRE(from_file->by_device.size() == 1);
  CHECK(from_file->by_device[0].pending == 3);

  // A second later, idle, the writer writes what it held.
  const bool caught_up = wait_until([&] {
    const auto now = buffer::read_backlog(path);
    return now.ok() && !now->by_device_behind && now->by_device.size() == 2;
  });
  REQUIRE(caught_up);
  const auto later = buffer::read_backlog(path);
  REQUIRE(later.ok());
  CHECK(later->by_device[0].pending == 5);
  CHECK(later->by_device[1].pending == 4);
}

TEST_CASE("read_backlog answers from the file while the buffer is open for writing") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 7)).ok());
  const auto stats = buffer::read_backlog(dir / "buffer.db");
  REQUIRE(stats.ok());
  CHECK(stats->pending == 7);
  CHECK(stats->by_device.size() == 1);
}

TEST_CASE("read_backlog on a missing file says there is no buffer yet") {
  TempDir dir;
  const auto stats = buffer::read_backlog(dir / "nothing.db");
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.error().code == buffer::BufferError::kIo);
  CHECK(stats.error().message == "no buffer file at " + (dir / "nothing.db").string() +
                                     " (has the gateway run with this config yet?)");
}

TEST_CASE("delivered, dropped and dead-letter counters survive reopening") {
  TempDir dir;
  auto options = options_in(dir);
  options.max_bytes = Bytes{4000};
  {
    auto buffer = open_buffer(options);
    REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
    const auto batch = buffer->next_batch(3);
    REQUIRE(batch.ok());
    const std::vector<std::int64_t> delivered{(*batch)[0].seq, (*batch)[1].seq};
    REQUIRE(buffer->mark_delivered(delivered).ok());
    REQUIRE(buffer->dead_letter((*batch)[2].seq, "MSG_SIZE_TOO_LARGE").ok());
    REQUIRE(buffer->append(make_records("d", 100, 200)).ok());  // beyond the cap: drops
    REQUIRE(buffer->sync().ok());
  }
  const auto before = buffer::read_backlog(dir / "buffer.db");
  REQUIRE(before.ok());
  CHECK(before->delivered_total == 2);
  CHECK(before->dead_letter_total == 1);
  CHECK(before->dropped_total > 0);
  auto buffer = open_buffer(options);
  const auto after = buffer->stats();
  REQUIRE(after.ok());
  CHECK(after->delivered_total == before->delivered_total);
  CHECK(after->dropped_total == before->dropped_total);
  CHECK(after->dead_letter_total == before->dead_letter_total);
  CHECK(after->pending == before->pending);
}

TEST_CASE("a dead-lettered row leaves the queue and is counted") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 3)).ok());
  const auto batch = buffer->next_batch(3);
  REQUIRE(batch.ok());
  REQUIRE(buffer->dead_letter((*batch)[1].seq, "Broker: Message size too large").ok());
  REQUIRE(buffer->sync().ok());
  const auto left = seqs_of(read_all(*buffer));
  CHECK(left == std::vector<std::int64_t>{(*batch)[0].seq, (*batch)[2].seq});
  const auto stats = buffer->stats();
  CHECK(stats->dead_letter_total == 1);
  CHECK(stats->pending == 2);
}

TEST_CASE("appenders on several threads get distinct seqs and every record is stored once") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  constexpr int kThreads = 4, kAppends = 200, kPerAppend = 5;
  std::vector<std::thread> threads;
  std::vector<std::vector<buffer::SeqRange>> ranges(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto range =
            buffer->append(make_records("dev-" + std::to_string(t), i * kPerAppend, kPerAppend));
        if (range.ok()) ranges[t].push_back(*range);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::int64_t> seqs;
  for (const auto& per_thread : ranges) {
    REQUIRE(per_thread.size() == kAppends);
    for (const auto& range : per_thread) {
      CHECK(range.last - range.first == kPerAppend - 1);
      for (auto seq = range.first; seq <= range.last; ++seq) CHECK(seqs.insert(seq).second);
    }
  }
  const auto all = read_all(*buffer);
  CHECK(all.size() == kThreads * kAppends * kPerAppend);
  std::set<std::string> values;
  for (const auto& record : all) values.insert(record.record.value);
  CHECK(values.size() == all.size());
  // Per device the order of appends is kept.
  std::map<std::string, std::int64_t> last_ts;
  for (const auto& record : all) {
    CHECK(record.record.ts_ns > last_ts[record.record.key]);
    last_ts[record.record.key] = record.record.ts_ns;
  }
}

TEST_CASE("a second process cannot open a buffer that is in use") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  const auto second = buffer::Buffer::open(options_in(dir));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == buffer::BufferError::kInUse);
  CHECK(second.error().message ==
        "buffer file " + (dir / "buffer.db").string() +
            " is in use by another sensorgate process; stop it first, or give this one another "
            "buffer.path");
}

TEST_CASE("calls after close fail with kClosed") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  buffer->close();
  const auto appended = buffer->append(make_records("d", 0, 1));
  REQUIRE_FALSE(appended.ok());
  CHECK(appended.error().code == buffer::BufferError::kClosed);
  CHECK(buffer->next_batch(1).error().code == buffer::BufferError::kClosed);
}

TEST_CASE("durability power makes the writer fsync every commit, and stores like process") {
  TempDir dir;
  auto options = options_in(dir);
  options.durability = buffer::Durability::kPower;
  {
    auto buffer = open_buffer(options);
    CHECK(buffer->writer_durability() == buffer::Durability::kPower);  // synchronous = FULL
    REQUIRE(buffer->append(make_records("d", 0, 3)).ok());
    CHECK(read_all(*buffer).size() == 3);
  }
  options.durability = buffer::Durability::kProcess;
  auto buffer = open_buffer(options);
  CHECK(buffer->writer_durability() == buffer::Durability::kProcess);  // synchronous = NORMAL
}

}  // namespace
}  // namespace sensorgate::testing
