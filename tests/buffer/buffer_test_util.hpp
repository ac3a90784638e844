// Helpers shared by the buffer tests: records with recognisable values, opening with options.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {

inline buffer::Record make_record(const std::string& device, int n,
                                  const std::string& topic = "sensors.readings") {
  return buffer::Record{topic, device, 1'700'000'000'000'000'000 + n,
                        "{\"device\":\"" + device + "\",\"n\":" + std::to_string(n) + "}"};
}

inline std::vector<buffer::Record> make_records(const std::string& device, int first, int count) {
  std::vector<buffer::Record> records;
  for (int n = first; n < first + count; ++n) records.push_back(make_record(device, n));
  return records;
}

// The options most buffer tests use: buffer.db in `dir`, group commits every 2 ms.
buffer::Options options_in(const TempDir& dir);

// Opens the buffer or fails the test with the buffer's message.
std::unique_ptr<buffer::Buffer> open_buffer(const buffer::Options& options);

// Every pending record, read with a fresh cursor (rewinds first).
std::vector<buffer::StoredRecord> read_all(buffer::Buffer& buffer);

}  // namespace sensorgate::testing
