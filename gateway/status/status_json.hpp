// The /status answer, one JSON object (what `sensorgate status` and the status page read):
//   gateway, version, started, uptime_s, healthy, health (the /healthz reason, or "ok"),
//   adapters: [{name, type, up, detail, messages, readings, rejected {reason: n},
//               rejected_recent {reason: n in the last 10 min}, readings_per_s (last minute)}],
//   kafka: {up, brokers, down_since (RFC 3339 or null), delivered_total, errors_total,
//           in_flight},
//   backlog: the object of `backlog --json` (null until the buffer could be read; then
//            backlog_error says why), pending_history: [{ts, pending}] over ten minutes,
//   alerts: {firing: [...], recent: [...]}, each an alert event object (DESIGN.md).
// Pure function.
#pragma once

#include <string>

#include "gateway/status/report.hpp"

namespace sensorgate::status {

std::string render_status_json(const StatusReport& report);

}  // namespace sensorgate::status
