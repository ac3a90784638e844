#include "gateway/status/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sensorgate::status {
namespace {

double seconds_of(const timeval& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
}

// The boot time (btime of /proc/stat) in seconds since the epoch; 0 if unreadable.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string word;
  while (in >> word) {
    if (word == "btime") {
      double seconds = 0;
      in >> seconds;
      return seconds;
    }
  }
  return 0;
}

// Field 22 of /proc/self/stat, the start time in clock ticks after boot. The command name
// (field 2) may hold spaces, so fields are counted after its closing parenthesis.
double start_ticks() {
  std::ifstream in("/proc/self/stat");
  const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return 0;
  std::istringstream fields(line.substr(end_of_name + 1));
  std::string field;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 22) return std::stod(field);
  }
  return 0;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats stats;
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    stats.resident_memory_bytes =
        resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    stats.cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  }
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double boot = boot_time_seconds();
  if (boot > 0 && ticks_per_second > 0)
    stats.start_time_seconds = boot + start_ticks() / ticks_per_second;
  return stats;
}

}  // namespace sensorgate::status
