#include "gateway/daemon/health_watch.hpp"

#include "core/units.hpp"

namespace sensorgate::gateway {
namespace {

constexpr const char* kBufferMetric = "buffer";
constexpr const char* kKafkaMetric = "kafka";

double seconds_of(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

HealthWatch::HealthWatch(std::string gateway_id, std::chrono::nanoseconds kafka_unreachable_after,
                         std::chrono::nanoseconds adapter_down_after, const Clock& clock)
    : gateway_id_(std::move(gateway_id)),
      kafka_unreachable_after_(kafka_unreachable_after),
      adapter_down_after_(adapter_down_after),
      clock_(clock) {}

void HealthWatch::restore_firing(const std::vector<rules::FiringKey>& keys) {
  for (const auto& key : keys) {
    const bool ours = key.rule == kBufferFull || key.rule == kKafkaUnreachable ||
                      key.rule == kAdapterDown || key.rule == kBufferCorrupt;
    if (ours && key.device == gateway_id_) firing_.insert({key.rule, key.metric});
  }
}

rules::AlertEvent HealthWatch::event(const char* rule, const std::string& metric,
                                     const char* severity, bool firing, double value,
                                     double threshold, std::string message) {
  if (firing) {
    firing_.insert({rule, metric});
  } else {
    firing_.erase({rule, metric});
  }
  rules::AlertEvent event;
  event.rule = rule;
  event.device = gateway_id_;
  event.metric = metric;
  event.severity = severity;
  event.state = firing ? rules::AlertState::kFiring : rules::AlertState::kResolved;
  event.value = value;
  event.threshold = threshold;
  event.ts_ns = clock_.now_ns();
  event.raised_at_ns = event.ts_ns;
  event.message = std::move(message);
  return event;
}

std::vector<rules::AlertEvent> HealthWatch::check(const HealthSample& sample) {
  std::vector<rules::AlertEvent> events;
  const std::int64_t now = clock_.now_ns();

  // buffer_full: new drops or refusals since the last sample.
  const bool losing = !first_sample_ && (sample.dropped_total > last_dropped_ ||
                                         sample.refused_total > last_refused_);
  const bool buffer_firing = firing_.count({kBufferFull, kBufferMetric}) > 0;
  const double fill = sample.max_bytes == 0 ? 0
                                            : static_cast<double>(sample.pending_bytes) /
                                                  static_cast<double>(sample.max_bytes);
  if (losing && !buffer_firing) {
    events.push_back(event(kBufferFull, kBufferMetric, "critical", true, fill, 1.0,
                           "buffer is full (" + format_bytes(Bytes{sample.max_bytes}) +
                               "): " + std::to_string(sample.dropped_total - last_dropped_) +
                               " readings dropped, " +
                               std::to_string(sample.refused_total - last_refused_) +
                               " appends refused since the last check"));
  } else if (buffer_firing && !losing && fill < 0.9) {
    events.push_back(event(kBufferFull, kBufferMetric, "critical", false, fill, 0.9,
                           "buffer is below 90% of its cap again"));
  }
  first_sample_ = false;
  last_dropped_ = sample.dropped_total;
  last_refused_ = sample.refused_total;

  // kafka_unreachable.
  const bool kafka_firing = firing_.count({kKafkaUnreachable, kKafkaMetric}) > 0;
  const std::int64_t down_for =
      sample.kafka_up || sample.kafka_down_since_ns == 0 ? 0 : now - sample.kafka_down_since_ns;
  const double after_s = seconds_of(kafka_unreachable_after_.count());
  if (!kafka_firing && !sample.kafka_up && down_for >= kafka_unreachable_after_.count()) {
    events.push_back(event(
        kKafkaUnreachable, kKafkaMetric, "warning", true, seconds_of(down_for), after_s,
        "Kafka unreachable for " + format_duration(std::chrono::seconds(down_for / 1'000'000'000)) +
            "; readings wait in the buffer"));
  } else if (kafka_firing && sample.kafka_up) {
    events.push_back(event(kKafkaUnreachable, kKafkaMetric, "warning", false, 0, after_s,
                           "Kafka reachable again; the backlog drains"));
  }

  // adapter_down, per adapter.
  for (const auto& [adapter, up] : sample.adapters_up) {
    const bool adapter_firing = firing_.count({kAdapterDown, adapter}) > 0;
    if (up) {
      adapter_down_since_ns_.erase(adapter);
      if (adapter_firing) {
        events.push_back(event(kAdapterDown, adapter, "warning", false, 0,
                               seconds_of(adapter_down_after_.count()),
                               "adapter " + adapter + " is up again"));
      }
      continue;
    }
    const auto since = adapter_down_since_ns_.emplace(adapter, now).first->second;
    if (!adapter_firing && now - since >= adapter_down_after_.count()) {
      events.push_back(
          event(kAdapterDown, adapter, "warning", true, seconds_of(now - since),
                seconds_of(adapter_down_after_.count()),
                "adapter " + adapter + " has been down for " +
                    format_duration(std::chrono::seconds((now - since) / 1'000'000'000))));
    }
  }
  check_quarantined(sample, events);
  return events;
}

void HealthWatch::check_quarantined(const HealthSample& sample,
                                    std::vector<rules::AlertEvent>& events) {
  std::set<std::string> present;
  for (const auto& note : sample.quarantined) {
    const std::string file = note.database.filename().string();
    present.insert(file);
    if (firing_.count({kBufferCorrupt, file}) > 0) continue;
    events.push_back(event(kBufferCorrupt, file, "critical", true, static_cast<double>(note.rows),
                           0,
                           "buffer file moved aside: " + buffer::describe(note) +
                               ". A fresh buffer takes new readings; the rows of the old file "
                               "are not sent (see " +
                               note.database.string() + ".note)"));
  }
  std::vector<std::string> gone;
  for (const auto& [rule, metric] : firing_) {
    if (rule == kBufferCorrupt && present.count(metric) == 0) gone.push_back(metric);
  }
  for (const auto& file : gone) {
    events.push_back(event(kBufferCorrupt, file, "critical", false, 0, 0,
                           "quarantined buffer file " + file + " was moved or deleted"));
  }
}

}  // namespace sensorgate::gateway
