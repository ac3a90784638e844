// ProcessStats: this process's memory, CPU time and start time, as Prometheus' process_*
// metrics name them, read from /proc/self and getrusage. Thread-safe; a figure that cannot be
// read is 0.
#pragma once

#include <cstdint>

namespace sensorgate::status {

struct ProcessStats {
  std::uint64_t resident_memory_bytes = 0;  // process_resident_memory_bytes
  double cpu_seconds = 0;                   // process_cpu_seconds_total: user + system
  double start_time_seconds = 0;            // process_start_time_seconds: since the Unix epoch
};

ProcessStats read_process_stats();

}  // namespace sensorgate::status
