#include "buffer_test_util.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::testing {

buffer::Options options_in(const TempDir& dir) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  return options;
}

std::unique_ptr<buffer::Buffer> open_buffer(const buffer::Options& options) {
  auto opened = buffer::Buffer::open(options);
  if (!opened.ok()) FAIL("open failed: " << opened.error().message);
  return std::move(opened.value());
}

std::vector<buffer::StoredRecord> read_all(buffer::Buffer& buffer) {
  buffer.rewind();
  std::vector<buffer::StoredRecord> all;
  for (int rounds = 0; rounds < 100'000; ++rounds) {
    auto batch = buffer.next_batch(1000);
    REQUIRE(batch.ok());
    if (batch->empty()) break;
    for (auto& record : *batch) all.push_back(std::move(record));
  }
  buffer.rewind();
  return all;
}

}  // namespace sensorgate::testing
