// The /metrics answer: Prometheus text exposition format 0.0.4, with HELP and TYPE for every
// family and label values escaped (backslash, double quote, newline). The names are those of
// DESIGN.md ("Metrics, status, health"). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "gateway/status/report.hpp"

namespace sensorgate::status {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const StatusReport& report);

// A label value as the format writes it between double quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace sensorgate::status
