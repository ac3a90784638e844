// The baseline of the buffer bench: the same inserts and deletes done with plain SQLite calls
// on one connection, no gateway code, so the bench can print the buffer's cost as a ratio.
#pragma once

#include <filesystem>
#include <vector>

#include "buffer/buffer.hpp"

namespace sensorgate::bench {

// Inserts `records` in transactions of `rows_per_commit` into a fresh WAL database
// (synchronous=NORMAL), as the buffer's writer would, and returns the seconds taken.
double raw_insert(const std::filesystem::path& path, const std::vector<buffer::Record>& records,
                  std::size_t rows_per_commit);

// Drains what raw_insert stored: reads the oldest `batch_rows` rows, deletes them by range,
// commits every `rows_per_commit` rows; returns the seconds taken and the rows drained.
double raw_drain(const std::filesystem::path& path, std::size_t batch_rows,
                 std::size_t rows_per_commit, std::size_t& drained);

}  // namespace sensorgate::bench
