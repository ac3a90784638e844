// ChildPhase: runs one benchmark phase in a forked child process, so the peak RSS (VmHWM) and CPU
// time it reports belong to that phase alone and not to the phases before it.
#pragma once

#include <functional>

namespace sensorgate::bench {

struct PhaseFigures {
  double seconds = 0;        // wall time the phase measured itself
  double cpu_seconds = 0;    // CPU time (user + system) the phase measured itself
  long peak_rss_kib = 0;     // the child's VmHWM at the end of the phase
  long settled_rss_kib = 0;  // VmRSS where the phase measured it (current_rss_kib), if it did
  bool ok = false;           // what the phase returned
};

// Runs `phase` in a forked child and returns the figures it filled in, with ok = its result and
// peak_rss_kib set. ok is false when the child dies before reporting.
PhaseFigures run_in_child(const std::function<bool(PhaseFigures&)>& phase);

// This process's resident set now (VmRSS), in KiB.
long current_rss_kib();

// CPU seconds (user + system) this process has used so far.
double process_cpu_seconds();

}  // namespace sensorgate::bench
