#include "gateway/cli/alerts_view.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "core/time_format.hpp"
#include "gateway/cli/table.hpp"

namespace sensorgate::cli {
namespace {

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

std::string render_alerts_table(const std::vector<buffer::AlertRow>& alerts) {
  if (alerts.empty()) return "no alerts in this period\n";
  Table table({"STATE", "SEVERITY", "RAISED", "RULE", "DEVICE", "METRIC", "VALUE", "READING TIME",
               "MESSAGE"},
              {Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
               Align::kRight, Align::kLeft, Align::kLeft});
  for (const auto& alert : alerts) {
    table.add_row({alert.state, alert.severity, format_rfc3339(alert.raised_at_ns), alert.rule,
                   alert.device, alert.metric, number_text(alert.value),
                   format_rfc3339(alert.ts_ns), alert.message});
  }
  return table.render(/*with_header=*/true);
}

std::string render_alerts_json(const std::vector<buffer::AlertRow>& alerts) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& alert : alerts) {
    nlohmann::ordered_json event;
    event["rule"] = alert.rule;
    event["device"] = alert.device;
    event["metric"] = alert.metric;
    event["severity"] = alert.severity;
    event["state"] = alert.state;
    event["value"] = std::isfinite(alert.value) ? nlohmann::ordered_json(alert.value) : nullptr;
    event["threshold"] =
        std::isfinite(alert.threshold) ? nlohmann::ordered_json(alert.threshold) : nullptr;
    event["ts"] = format_rfc3339(alert.ts_ns);
    event["raised_at"] = format_rfc3339(alert.raised_at_ns);
    event["message"] = alert.message;
    array.push_back(std::move(event));
  }
  return array.dump() + "\n";
}

}  // namespace sensorgate::cli
