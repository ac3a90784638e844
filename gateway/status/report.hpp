// StatusReport: everything one answer of the status endpoint is rendered from (/metrics,
// /status), gathered by the server per request: the gateway's live snapshot, the cached backlog,
// the history, this process's figures and the clocks. A plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/status/backlog_cache.hpp"
#include "gateway/status/health.hpp"
#include "gateway/status/history.hpp"
#include "gateway/status/process_stats.hpp"
#include "gateway/status/snapshot.hpp"

namespace sensorgate::status {

struct StatusReport {
  std::string version;
  std::int64_t now_ns = 0;      // wall clock
  std::int64_t started_ns = 0;  // when the endpoint started (with the daemon)
  GatewaySnapshot gateway;
  BacklogEntry backlog;
  std::map<std::string, double> readings_per_s;  // adapter name -> rate over the last minute
  std::vector<PendingPoint> pending_history;
  // Adapter name -> reason -> rejects in the last ten minutes.
  std::map<std::string, std::map<adapters::RejectReason, std::uint64_t>> recent_rejects;
  ProcessStats process;
  Health health;
};

}  // namespace sensorgate::status
