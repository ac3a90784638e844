#include "gateway/status/metrics_text.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <utility>

namespace sensorgate::status {
namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[32];
  const auto written = std::to_chars(std::begin(text), std::end(text), value);
  return std::string(text, written.ptr);
}

std::string number(std::uint64_t value) {
  return std::to_string(value);
}

// Appends families: HELP and TYPE once, then the samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // no backslash or newline in our help texts, which is all the format escapes
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class V>
  void sample(V value, Labels labels = {}) {
    out_ += name_;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        out_ += escape_label_value(label_value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string_view name_;
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const StatusReport& report) {
  const GatewaySnapshot& gateway = report.gateway;
  const buffer::BacklogStats& backlog = report.backlog.stats;
  Exposition out;

  out.family("sensorgate_build_info", "gauge", "The running sensorgate's version; always 1.");
  out.sample(std::uint64_t{1}, {{"version", report.version}});

  out.family("sensorgate_messages_received_total", "counter",
             "Messages, requests, datagrams or polls an adapter received.");
  for (const auto& adapter : gateway.adapters) {
    out.sample(adapter.counters.messages_received, {{"adapter", adapter.name}});
  }
  out.family("sensorgate_readings_received_total", "counter",
             "Readings an adapter turned messages into and handed to the buffer.");
  for (const auto& adapter : gateway.adapters) {
    out.sample(adapter.counters.readings_received, {{"adapter", adapter.name}});
  }
  out.family("sensorgate_readings_rejected_total", "counter",
             "Messages or readings an adapter rejected, by reason.");
  for (const auto& adapter : gateway.adapters) {
    for (const auto& [reason, count] : adapter.counters.rejected) {
      out.sample(count,
                 {{"adapter", adapter.name}, {"reason", adapters::reject_reason_name(reason)}});
    }
  }
  out.family("sensorgate_adapter_up", "gauge",
             "1 while the adapter is connected or listening, 0 while it is down.");
  for (const auto& adapter : gateway.adapters) {
    out.sample(std::uint64_t{adapter.health.up ? 1u : 0u}, {{"adapter", adapter.name}});
  }

  out.family("sensorgate_readings_committed_total", "counter",
             "Readings committed to the buffer since start.");
  out.sample(gateway.readings_committed);
  out.family("sensorgate_buffer_pending", "gauge", "Readings in the buffer not yet delivered.");
  out.sample(backlog.pending);
  out.family("sensorgate_buffer_pending_bytes", "gauge",
             "Topic, key and value bytes of the pending readings (what buffer.max_bytes caps).");
  out.sample(backlog.pending_bytes);
  out.family("sensorgate_buffer_oldest_age_seconds", "gauge",
             "Age of the oldest pending reading; 0 when nothing is pending.");
  const double age_s = backlog.pending == 0 || backlog.oldest_ts_ns >= report.now_ns
                           ? 0.0
                           : static_cast<double>(report.now_ns - backlog.oldest_ts_ns) / 1e9;
  out.sample(age_s);
  out.family("sensorgate_buffer_dropped_total", "counter",
             "Readings dropped from the buffer, ever (drop_oldest at the cap, lost at stop).");
  out.sample(backlog.dropped_total);
  out.family("sensorgate_buffer_db_bytes", "gauge", "Size of the buffer database and its WAL.");
  out.sample(backlog.db_bytes);

  out.family("sensorgate_kafka_delivered_total", "counter",
             "Records Kafka acknowledged since start, by topic.");
  for (const auto& topic : gateway.kafka.delivered_by_topic) {
    out.sample(topic.delivered, {{"topic", topic.topic}});
  }
  out.family("sensorgate_kafka_errors_total", "counter",
             "Failed deliveries and Kafka client errors since start.");
  out.sample(gateway.kafka.errors_total);
  out.family("sensorgate_kafka_up", "gauge",
             "1 while the Kafka cluster answers, 0 during an outage.");
  out.sample(std::uint64_t{gateway.kafka.kafka_up ? 1u : 0u});

  out.family("sensorgate_alerts_total", "counter",
             "Alerts raised (firing transitions stored) since start, by rule and severity.");
  for (const auto& [key, count] : gateway.alerts.raised) {
    out.sample(count, {{"rule", key.first}, {"severity", key.second}});
  }
  out.family("sensorgate_alerts_firing", "gauge", "Alert series firing now.");
  out.sample(static_cast<std::uint64_t>(gateway.alerts.firing.size()));

  out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out.sample(report.process.resident_memory_bytes);
  out.family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  out.sample(report.process.cpu_seconds);
  out.family("process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch in seconds.");
  out.sample(report.process.start_time_seconds);
  return out.take();
}

}  // namespace sensorgate::status
