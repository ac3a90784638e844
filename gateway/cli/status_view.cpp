#include "gateway/cli/status_view.hpp"

#include <chrono>
#include <cstdio>

#include "core/units.hpp"
#include "gateway/cli/table.hpp"

namespace sensorgate::cli {
namespace {

using Json = nlohmann::json;

std::string text_of(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "?";
  const Json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

std::uint64_t count_of(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return 0;
  return object[key].get<std::uint64_t>();
}

std::string age_of(const Json& object, const char* key) {
  return format_age(std::chrono::seconds(count_of(object, key)));
}

std::string rate_text(double per_second) {
  char text[32];
  std::snprintf(text, sizeof text, per_second >= 100 ? "%.0f/s" : "%.1f/s", per_second);
  return text;
}

std::string rejected_text(const Json& rejected) {
  std::string out;
  if (!rejected.is_object()) return "-";
  for (const auto& [reason, count] : rejected.items()) {
    out += (out.empty() ? "" : ", ") + reason + " " + count.dump();
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string render_status_summary(const Json& status) {
  std::string out = "gateway " + text_of(status, "gateway") + " (sensorgate " +
                    text_of(status, "version") + "), up " + age_of(status, "uptime_s") + ": " +
                    (status.value("healthy", false) ? std::string("healthy")
                                                    : "unhealthy: " + text_of(status, "health")) +
                    "\n\n";

  Table adapters({"ADAPTER", "TYPE", "STATE", "RATE", "READINGS", "REJECTED", "DETAIL"},
                 {Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight, Align::kRight,
                  Align::kLeft, Align::kLeft});
  for (const Json& adapter : status.value("adapters", Json::array())) {
    adapters.add_row({text_of(adapter, "name"), text_of(adapter, "type"),
                      adapter.value("up", false) ? "up" : "DOWN",
                      rate_text(adapter.value("readings_per_s", 0.0)),
                      std::to_string(count_of(adapter, "readings")),
                      rejected_text(adapter.value("rejected", Json::object())),
                      text_of(adapter, "detail")});
  }
  out += adapters.render(/*with_header=*/true) + "\n";

  const Json kafka = status.value("kafka", Json::object());
  out += "kafka    " +
         (kafka.value("up", false) ? "connected to " + text_of(kafka, "brokers")
                                   : "DOWN since " + text_of(kafka, "down_since") + " (" +
                                         text_of(kafka, "brokers") + ")") +
         "; " + std::to_string(count_of(kafka, "delivered_total")) + " delivered, " +
         std::to_string(count_of(kafka, "errors_total")) + " errors, " +
         std::to_string(count_of(kafka, "in_flight")) + " in flight\n";

  const Json backlog = status.value("backlog", Json());
  if (backlog.is_object()) {
    const std::uint64_t pending = count_of(backlog, "pending");
    out += "backlog  " + std::to_string(pending) + " pending (" +
           format_bytes(Bytes{count_of(backlog, "pending_bytes")}) + ")" +
           (pending == 0 ? std::string() : ", oldest " + age_of(backlog, "oldest_age_s") + " old") +
           "; " + std::to_string(count_of(backlog, "dropped_total")) + " dropped; database " +
           format_bytes(Bytes{count_of(backlog, "db_bytes")}) + "\n";
  } else {
    out += "backlog  unknown: " + text_of(status, "backlog_error") + "\n";
  }

  const Json firing = status.value("alerts", Json::object()).value("firing", Json::array());
  if (firing.empty()) return out + "alerts   none firing\n";
  Table alerts({"RULE", "DEVICE", "METRIC", "SEVERITY", "SINCE", "MESSAGE"});
  for (const Json& alert : firing) {
    alerts.add_row({text_of(alert, "rule"), text_of(alert, "device"), text_of(alert, "metric"),
                    text_of(alert, "severity"), text_of(alert, "raised_at"),
                    text_of(alert, "message")});
  }
  return out + "\nfiring alerts:\n" + alerts.render(/*with_header=*/true);
}

}  // namespace sensorgate::cli
