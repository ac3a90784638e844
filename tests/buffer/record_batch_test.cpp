// RecordBatch: slots reused from read to read, rows dropped from the front, rows taken out.
#include <catch2/catch.hpp>

#include <string>

#include "buffer/record.hpp"

namespace sensorgate::testing {
namespace {

void fill(buffer::RecordBatch& batch, std::int64_t first, std::size_t rows) {
  batch.clear();
  for (std::size_t i = 0; i < rows; ++i) {
    buffer::StoredRecord& slot = batch.add();
    slot.seq = first + static_cast<std::int64_t>(i);
    slot.record.value.assign(200, static_cast<char>('a' + i % 26));
  }
}

TEST_CASE("a smaller read keeps the slots beyond it, with their strings' storage") {
  buffer::RecordBatch batch;
  fill(batch, 1, 4);
  const char* fourth_value = batch[3].record.value.data();
  fill(batch, 10, 2);
  CHECK(batch.size() == 2);
  CHECK(batch[1].seq == 11);
  fill(batch, 20, 4);
  REQUIRE(batch.size() == 4);
  CHECK(batch[3].seq == 23);
  CHECK(batch[3].record.value.data() == fourth_value);  // the same allocation, not a new one
}

TEST_CASE("dropping rows from the front keeps the order of the rest") {
  buffer::RecordBatch batch;
  fill(batch, 1, 5);
  batch.drop_front(2);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].seq == 3);
  CHECK(batch[2].seq == 5);
  std::int64_t expected = 3;
  for (const auto& row : batch) CHECK(row.seq == expected++);
  batch.drop_front(10);
  CHECK(batch.empty());
}

TEST_CASE("take hands over exactly the rows of the batch") {
  buffer::RecordBatch batch;
  fill(batch, 1, 5);
  fill(batch, 7, 2);
  const auto rows = batch.take();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].seq == 7);
  CHECK(rows[1].seq == 8);
  CHECK(batch.empty());
}

}  // namespace
}  // namespace sensorgate::testing
