// A buffer file as sensorgate wrote it with schema version 2 (one records row per reading), for
// the upgrade tests: the tables and rows that version wrote, spelled out here so that the tests
// do not depend on the current code to make an old file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sensorgate::testing {

struct Version2Record {
  std::int64_t seq = 0;
  std::string topic;
  std::string device;
  std::int64_t ts_ns = 0;
  std::string value;
};

// Creates `path` with `records` pending (ascending seqs, gaps allowed), totals and group stats
// that agree with them, and AUTOINCREMENT's last seq at `last_seq` (at least the highest seq).
void make_version2_file(const std::filesystem::path& path,
                        const std::vector<Version2Record>& records, std::int64_t last_seq);

}  // namespace sensorgate::testing
