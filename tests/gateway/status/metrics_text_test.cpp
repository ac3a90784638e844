// The /metrics text: Prometheus exposition format 0.0.4 with HELP and TYPE for every family of
// DESIGN.md, escaped label values, and the figures of the report.
#include <catch2/catch.hpp>

#include <sstream>

#include "gateway/status/metrics_text.hpp"

namespace sensorgate::status {
namespace {

StatusReport sample_report() {
  StatusReport report;
  report.version = "1.2.3";
  report.now_ns = 1'000'000'000'000;
  report.gateway.adapters.push_back({"plant-mqtt",
                                     "mqtt",
                                     {true, "connected"},
                                     {12, 10, {{adapters::RejectReason::kBadJson, 2}}}});
  report.gateway.adapters.push_back({"odd\"name\\x\ny", "udp", {false, "stopped"}, {}});
  report.gateway.readings_committed = 10;
  report.gateway.kafka.delivered_by_topic = {{"sensors.readings", 7}};
  report.gateway.kafka.errors_total = 3;
  report.gateway.kafka.kafka_up = true;
  report.gateway.alerts.raised[{"hot", "critical"}] = 4;
  report.gateway.alerts.firing.resize(2);
  report.backlog.stats.pending = 3;
  report.backlog.stats.pending_bytes = 300;
  report.backlog.stats.oldest_ts_ns = report.now_ns - 2'500'000'000;
  report.backlog.stats.dropped_total = 1;
  report.backlog.stats.db_bytes = 4096;
  report.process.resident_memory_bytes = 1 << 20;
  report.process.cpu_seconds = 0.25;
  report.process.start_time_seconds = 1764586991.5;
  return report;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& candidate : lines_of(text)) {
    if (candidate == line) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every metric family of the contract has HELP and TYPE before its samples") {
  const std::string text = render_metrics(sample_report());
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
           {"sensorgate_readings_received_total", "counter"},
           {"sensorgate_readings_rejected_total", "counter"},
           {"sensorgate_buffer_pending", "gauge"},
           {"sensorgate_buffer_pending_bytes", "gauge"},
           {"sensorgate_buffer_oldest_age_seconds", "gauge"},
           {"sensorgate_buffer_dropped_total", "counter"},
           {"sensorgate_buffer_db_bytes", "gauge"},
           {"sensorgate_kafka_delivered_total", "counter"},
           {"sensorgate_kafka_errors_total", "counter"},
           {"sensorgate_kafka_up", "gauge"},
           {"sensorgate_alerts_total", "counter"},
           {"sensorgate_alerts_firing", "gauge"},
           {"sensorgate_adapter_up", "gauge"},
           {"sensorgate_build_info", "gauge"},
           {"process_resident_memory_bytes", "gauge"},
           {"process_cpu_seconds_total", "counter"},
           {"process_start_time_seconds", "gauge"}}) {
    INFO(name);
    const auto help = text.find("# HELP " + name + " ");
    const auto type_line = text.find("# TYPE " + name + " " + type + "\n");
    REQUIRE(help != std::string::npos);
    REQUIRE(type_line != std::string::npos);
    CHECK(help < type_line);
  }
  // Each family once: no HELP line twice.
  std::map<std::string, int> helps;
  for (const auto& line : lines_of(text)) {
    if (line.rfind("# HELP ", 0) == 0) ++helps[line.substr(7, line.find(' ', 7) - 7)];
  }
  for (const auto& [name, count] : helps) CHECK(count == 1);
}

TEST_CASE("samples carry the report's figures and labels") {
  const std::string text = render_metrics(sample_report());
  CHECK(has_line(text, "sensorgate_build_info{version=\"1.2.3\"} 1"));
  CHECK(has_line(text, "sensorgate_readings_received_total{adapter=\"plant-mqtt\"} 10"));
  CHECK(has_line(text, "sensorgate_messages_received_total{adapter=\"plant-mqtt\"} 12"));
  CHECK(has_line(
      text, "sensorgate_readings_rejected_total{adapter=\"plant-mqtt\",reason=\"bad_json\"} 2"));
  CHECK(has_line(text, "sensorgate_adapter_up{adapter=\"plant-mqtt\"} 1"));
  CHECK(has_line(text, "sensorgate_readings_committed_total 10"));
  CHECK(has_line(text, "sensorgate_buffer_pending 3"));
  CHECK(has_line(text, "sensorgate_buffer_pending_bytes 300"));
  CHECK(has_line(text, "sensorgate_buffer_oldest_age_seconds 2.5"));
  CHECK(has_line(text, "sensorgate_buffer_dropped_total 1"));
  CHECK(has_line(text, "sensorgate_buffer_db_bytes 4096"));
  CHECK(has_line(text, "sensorgate_kafka_delivered_total{topic=\"sensors.readings\"} 7"));
  CHECK(has_line(text, "sensorgate_kafka_errors_total 3"));
  CHECK(has_line(text, "sensorgate_kafka_up 1"));
  CHECK(has_line(text, "sensorgate_alerts_total{rule=\"hot\",severity=\"critical\"} 4"));
  CHECK(has_line(text, "sensorgate_alerts_firing 2"));
  CHECK(has_line(text, "process_resident_memory_bytes 1048576"));
  CHECK(has_line(text, "process_cpu_seconds_total 0.25"));
  CHECK(has_line(text, "process_start_time_seconds 1764586991.5"));
}

TEST_CASE("label values escape backslash, double quote and newline") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  const std::string text = render_metrics(sample_report());
  CHECK(has_line(text, "sensorgate_adapter_up{adapter=\"odd\\\"name\\\\x\\ny\"} 0"));
}

TEST_CASE("nothing pending has an oldest age of 0") {
  StatusReport report = sample_report();
  report.backlog.stats.pending = 0;
  CHECK(has_line(render_metrics(report), "sensorgate_buffer_oldest_age_seconds 0"));
}

}  // namespace sensorgate::status
