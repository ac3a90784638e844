#include "bench/support/child_phase.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sensorgate::bench {
namespace {

long status_kib(const char* field) {
  const std::string prefix = std::string(field) + ":";
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  }
  return 0;
}

}  // namespace

long current_rss_kib() {
  return status_kib("VmRSS");
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

PhaseFigures run_in_child(const std::function<bool(PhaseFigures&)>& phase) {
  std::fflush(stdout);  // or the child would print the parent's buffered lines again
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    close(fds[0]);
    PhaseFigures figures;
    figures.ok = phase(figures);
    figures.peak_rss_kib = status_kib("VmHWM");
    std::fflush(stdout);
    [[maybe_unused]] auto written = write(fds[1], &figures, sizeof figures);
    _exit(0);
  }
  close(fds[1]);
  PhaseFigures figures;
  if (read(fds[0], &figures, sizeof figures) != sizeof figures) figures.ok = false;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return figures;
}

}  // namespace sensorgate::bench
