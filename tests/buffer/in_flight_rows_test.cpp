// InFlightRows: lookups by seq with and without gaps, and the front dropped as rows are reported.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "buffer/in_flight_rows.hpp"

namespace sensorgate::testing {
namespace {

buffer::InFlightRow row(std::int64_t seq) {
  return buffer::InFlightRow{seq, 1, 2, 10, 1, 256};
}

TEST_CASE("in-flight rows are found by seq, also behind gaps, and unknown seqs are not") {
  buffer::InFlightRows rows;
  for (std::int64_t seq : {5, 6, 7, 9, 12, 13}) rows.add(row(seq));
  for (std::int64_t seq : {5, 6, 7, 9, 12, 13}) {
    const auto* found = rows.find(seq);
    REQUIRE(found != nullptr);
    CHECK(found->seq == seq);
  }
  for (std::int64_t seq : {1, 4, 8, 10, 11, 14, 100}) CHECK(rows.find(seq) == nullptr);
}

TEST_CASE("reported rows leave only from the front, and the rest stay findable") {
  buffer::InFlightRows rows;
  for (std::int64_t seq = 1; seq <= 10; ++seq) rows.add(row(seq));
  rows.find(2)->delivered = true;
  rows.drop_reported_front();
  CHECK(rows.size() == 10);  // seq 1 still awaited
  for (std::int64_t seq = 1; seq <= 7; ++seq) rows.find(seq)->delivered = true;
  rows.drop_reported_front();
  CHECK(rows.size() == 3);
  CHECK(rows.find(7) == nullptr);
  REQUIRE(rows.find(8) != nullptr);
  CHECK(rows.find(8)->seq == 8);
  rows.add(row(11));
  REQUIRE(rows.find(11) != nullptr);
  CHECK(rows.find(11)->seq == 11);
  for (std::int64_t seq = 8; seq <= 11; ++seq) rows.find(seq)->delivered = true;
  rows.drop_reported_front();
  CHECK(rows.empty());
  CHECK(rows.find(11) == nullptr);
}

TEST_CASE("clear forgets every in-flight row") {
  buffer::InFlightRows rows;
  rows.add(row(3));
  rows.add(row(4));
  rows.clear();
  CHECK(rows.empty());
  CHECK(rows.find(3) == nullptr);
  rows.add(row(1));  // after a rewind, seqs start over
  REQUIRE(rows.find(1) != nullptr);
}

TEST_CASE("rows stay in seq order and findable while the storage wraps around and grows") {
  buffer::InFlightRows rows;
  std::int64_t next = 1, first = 1;
  // Keep dozens to a few hundred rows in flight, dropping from the front and adding behind, so the
  // front passes the end of the storage many times and the storage grows past 64 and 128 rows.
  for (int round = 0; round < 50; ++round) {
    const std::int64_t add = round % 2 == 0 ? 100 : 30;
    for (std::int64_t i = 0; i < add; ++i) rows.add(row(next++));
    const std::int64_t drop = std::min<std::int64_t>(next - first - 40, 80);
    for (std::int64_t i = 0; i < drop; ++i) rows.find(first + i)->delivered = true;
    rows.drop_reported_front();
    first += drop;
    REQUIRE(rows.size() == static_cast<std::size_t>(next - first));
    for (std::int64_t seq = first; seq < next; ++seq) {
      const auto* found = rows.find(seq);
      REQUIRE(found != nullptr);
      CHECK(found->seq == seq);
    }
    CHECK(rows.find(first - 1) == nullptr);
    CHECK(rows.find(next) == nullptr);
  }
}

std::vector<std::int64_t> seqs_of(const std::vector<buffer::InFlightRow>& rows) {
  std::vector<std::int64_t> seqs;
  for (const auto& r : rows) seqs.push_back(r.seq);
  return seqs;
}

std::vector<buffer::InFlightRow> rows_of(const std::vector<std::int64_t>& seqs) {
  std::vector<buffer::InFlightRow> rows;
  for (const std::int64_t seq : seqs) {
    rows.push_back(row(seq));
    rows.back().bytes = seq * 10;  // each row keeps its own fields
  }
  return rows;
}

TEST_CASE("delivered rows are sorted by seq, dense, sparse or with a seq twice") {
  // Runs per partition, as delivery reports come: dense, placed by slot.
  auto interleaved = rows_of({7, 8, 9, 1, 2, 3, 13, 14, 4, 5, 6, 10, 11, 12});
  buffer::sort_by_seq(interleaved);
  CHECK(seqs_of(interleaved) ==
        std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  for (const auto& r : interleaved) CHECK(r.bytes == r.seq * 10);
  // A window of seqs far wider than the rows: std::sort.
  auto sparse = rows_of({1'000'000, 5, 70'000, 3});
  buffer::sort_by_seq(sparse);
  CHECK(seqs_of(sparse) == std::vector<std::int64_t>{3, 5, 70'000, 1'000'000});
  // A seq twice (never expected): both kept.
  auto repeated = rows_of({4, 2, 4, 3});
  buffer::sort_by_seq(repeated);
  CHECK(seqs_of(repeated) == std::vector<std::int64_t>{2, 3, 4, 4});
  auto one = rows_of({9});
  buffer::sort_by_seq(one);
  CHECK(seqs_of(one) == std::vector<std::int64_t>{9});
}

}  // namespace
}  // namespace sensorgate::testing
