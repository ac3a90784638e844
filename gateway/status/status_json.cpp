#include "gateway/status/status_json.hpp"

#include <nlohmann/json.hpp>

#include "core/time_format.hpp"
#include "gateway/cli/backlog_view.hpp"

namespace sensorgate::status {
namespace {

using Json = nlohmann::ordered_json;

Json rejects_json(const std::map<adapters::RejectReason, std::uint64_t>& rejects) {
  Json out = Json::object();
  for (const auto& [reason, count] : rejects) {
    out[std::string(adapters::reject_reason_name(reason))] = count;
  }
  return out;
}

Json alert_json(const buffer::AlertRow& row) {
  return Json{{"rule", row.rule},
              {"device", row.device},
              {"metric", row.metric},
              {"severity", row.severity},
              {"state", row.state},
              {"value", row.value},
              {"threshold", row.threshold},
              {"ts", format_rfc3339(row.ts_ns)},
              {"raised_at", format_rfc3339(row.raised_at_ns)},
              {"message", row.message}};
}

Json alerts_json(const std::vector<buffer::AlertRow>& rows) {
  Json out = Json::array();
  for (const auto& row : rows) out.push_back(alert_json(row));
  return out;
}

}  // namespace

std::string render_status_json(const StatusReport& report) {
  const GatewaySnapshot& gateway = report.gateway;
  Json json;
  json["gateway"] = gateway.gateway_id;
  json["version"] = report.version;
  json["started"] = format_rfc3339(report.started_ns);
  json["uptime_s"] = (report.now_ns - report.started_ns) / 1'000'000'000;
  json["healthy"] = report.health.ok;
  json["health"] = report.health.ok ? std::string("ok") : report.health.reason;

  Json adapters = Json::array();
  for (const AdapterSnapshot& adapter : gateway.adapters) {
    const auto rate = report.readings_per_s.find(adapter.name);
    const auto recent = report.recent_rejects.find(adapter.name);
    adapters.push_back(Json{
        {"name", adapter.name},
        {"type", adapter.type},
        {"up", adapter.health.up},
        {"detail", adapter.health.detail},
        {"messages", adapter.counters.messages_received},
        {"readings", adapter.counters.readings_received},
        {"rejected", rejects_json(adapter.counters.rejected)},
        {"rejected_recent",
         recent == report.recent_rejects.end() ? Json::object() : rejects_json(recent->second)},
        {"readings_per_s", rate == report.readings_per_s.end() ? 0.0 : rate->second}});
  }
  json["adapters"] = std::move(adapters);

  const kafka::ForwarderStats& kafka = gateway.kafka;
  json["kafka"] = Json{{"up", kafka.kafka_up},
                       {"brokers", gateway.kafka_brokers},
                       {"down_since", kafka.kafka_up || kafka.down_since_ns == 0
                                          ? Json()
                                          : Json(format_rfc3339(kafka.down_since_ns))},
                       {"delivered_total", kafka.delivered_total},
                       {"errors_total", kafka.errors_total},
                       {"in_flight", kafka.in_flight}};

  if (report.backlog.read) {
    json["backlog"] = Json::parse(
        cli::render_backlog_json(report.backlog.stats, cli::BacklogGrouping::kNone, report.now_ns));
  } else {
    json["backlog"] = Json();
  }
  if (!report.backlog.error.empty()) json["backlog_error"] = report.backlog.error;
  Json history = Json::array();
  for (const PendingPoint& point : report.pending_history) {
    history.push_back(Json{{"ts", format_rfc3339(point.ts_ns)}, {"pending", point.pending}});
  }
  json["pending_history"] = std::move(history);

  json["alerts"] = Json{{"firing", alerts_json(gateway.alerts.firing)},
                        {"recent", alerts_json(gateway.alerts.recent)}};
  return json.dump() + "\n";
}

}  // namespace sensorgate::status
