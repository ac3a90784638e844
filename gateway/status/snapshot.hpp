// GatewaySnapshot: what the running gateway tells the status endpoint, taken in one call
// (Gateway::snapshot()) from the parts' own counters, none of which queries the database. The
// backlog is not in it: it comes from the buffer, cached by the endpoint (backlog_cache.hpp).
// A plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/adapter.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "gateway/status/watched_buffer.hpp"

namespace sensorgate::status {

struct AdapterSnapshot {
  std::string name;
  std::string type;
  adapters::AdapterHealth health;
  adapters::AdapterCounters counters;
};

struct GatewaySnapshot {
  std::string gateway_id;
  std::string kafka_brokers;
  std::vector<AdapterSnapshot> adapters;
  std::uint64_t readings_committed = 0;  // readings the ingest pipeline committed since start
  kafka::ForwarderStats kafka;
  CommitState commit;
  AlertActivity alerts;
};

}  // namespace sensorgate::status
