#include "gateway/daemon.hpp"

#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "buffer/buffer.hpp"
#include "config/loader.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/units.hpp"
#include "gateway/adapter_table.hpp"
#include "gateway/alert_dispatcher.hpp"
#include "gateway/health_watch.hpp"
#include "gateway/ingest.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "gateway/rules/engine.hpp"
#include "gateway/rules_stage.hpp"
#include "gateway/systemd_notifier.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "gateway";
constexpr auto kTick = std::chrono::seconds(1);
constexpr auto kAdapterStopDeadline = std::chrono::seconds(5);
constexpr auto kIngestStopDeadline = std::chrono::seconds(10);
// How long an adapter may be down before the adapter_down alert fires.
constexpr auto kAdapterDownAfter = std::chrono::seconds(30);

constexpr int kExitOk = 0, kExitRuntime = 1, kExitConfig = 2;

LogLevel log_level_of(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

buffer::Options buffer_options(const config::BufferSection& section) {
  buffer::Options options;
  options.path = section.path;
  options.max_bytes = section.max_bytes;
  options.on_full = section.on_full == config::OnFull::kReject ? buffer::OnFull::kReject
                                                               : buffer::OnFull::kDropOldest;
  options.durability = section.durability == config::Durability::kPower
                           ? buffer::Durability::kPower
                           : buffer::Durability::kProcess;
  options.commit_interval = section.commit_interval;
  options.commit_max_rows = section.commit_max_rows;
  return options;
}

kafka::ForwarderOptions forwarder_options(const config::Config& config) {
  kafka::ForwarderOptions options;
  options.gateway_id = config.gateway.id;
  options.producer.brokers = config.kafka.brokers;
  options.producer.client_id = "sensorgate-" + config.gateway.id;
  options.producer.properties = config.kafka.properties;
  options.producer.secret_values = config.kafka.secret_values;
  options.max_in_flight = config.kafka.max_in_flight;
  options.delivery = config.kafka.delivery == config::KafkaDelivery::kExactlyOnce
                         ? kafka::Delivery::kExactlyOnce
                         : kafka::Delivery::kAtLeastOnce;
  options.transaction_rows = config.kafka.transaction_rows;
  options.transaction_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.kafka.transaction_interval);
  options.progress_topic = config.kafka.progress_topic;
  // Fenced by another process with the same gateway.id: the daemon stops (exit 1).
  options.on_fatal = [](const std::string&) { ::kill(::getpid(), SIGTERM); };
  return options;
}

struct RunningAdapter {
  config::AdapterConfig config;
  std::unique_ptr<adapters::Adapter> adapter;
};

// Loads the config anew and hands each running adapter its new mappings.
void reload_mappings(const std::filesystem::path& file, std::vector<RunningAdapter>& running) {
  log_info(kComponent, "SIGHUP: reloading mappings from " + file.string());
  const auto outcome = config::load_config(file);
  for (const auto& diagnostic : outcome.diagnostics) {
    log_warning(kComponent, "reload: " + diagnostic.to_string());
  }
  if (!outcome.ok()) {
    log_error(kComponent, "reload refused, the config has errors; keeping the running mappings");
    return;
  }
  for (auto& entry : running) {
    const config::AdapterConfig* fresh = nullptr;
    for (const auto& candidate : outcome.config->adapters) {
      if (candidate.name == entry.config.name) fresh = &candidate;
    }
    if (fresh == nullptr || fresh->type != entry.config.type) {
      log_warning(kComponent, "reload: adapter " + entry.config.name +
                                  " was removed or changed type; that takes a restart, keeping it");
      continue;
    }
    if (const auto reloaded = reload_adapter(*entry.adapter, *fresh); !reloaded.ok()) {
      log_error(kComponent, "reload: adapter " + entry.config.name + ": " +
                                reloaded.error().message + "; keeping its running mappings");
      continue;
    }
    entry.config = *fresh;
    log_info(kComponent, "reload: adapter " + entry.config.name + " has its new mappings");
  }
  for (const auto& candidate : outcome.config->adapters) {
    bool known = false;
    for (const auto& entry : running) known = known || entry.config.name == candidate.name;
    if (!known)
      log_warning(kComponent,
                  "reload: new adapter " + candidate.name + " starts at the next restart");
  }
}

std::string describe_adapter(const config::AdapterConfig& adapter) {
  if (const auto* mqtt = std::get_if<config::MqttAdapter>(&adapter.settings)) {
    return adapter.name + " (mqtt " + mqtt->url + ", " +
           std::to_string(mqtt->subscriptions.size()) + " subscriptions)";
  }
  return adapter.name + " (" + adapter.type + ")";
}

// "plant-mqtt: 11000 messages, 1000 readings, rejected: bad_json 3000, missing_field 3000"
std::string describe_counters(const std::string& name, const adapters::AdapterCounters& counters) {
  std::string text = name + ": " + std::to_string(counters.messages_received) + " messages, " +
                     std::to_string(counters.readings_received) + " readings, rejected: ";
  bool any = false;
  for (const auto& [reason, count] : counters.rejected) {
    if (count == 0) continue;
    text += (any ? ", " : "") + std::string(adapters::reject_reason_name(reason)) + " " +
            std::to_string(count);
    any = true;
  }
  return text + (any ? "" : "none");
}

std::vector<rules::FiringKey> firing_keys(buffer::Buffer& buffer) {
  std::vector<rules::FiringKey> keys;
  const auto firing = buffer.firing_alerts();
  if (!firing.ok()) {
    log_error(kComponent, "cannot read the firing alerts: " + firing.error().message);
    return keys;
  }
  for (const auto& row : *firing) keys.push_back({row.rule, row.device, row.metric});
  return keys;
}

}  // namespace

int run_daemon(const std::filesystem::path& config_file) {
  // Signals are taken by this thread only (sigtimedwait); every thread started later inherits
  // the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto outcome = config::load_config(config_file);
  for (const auto& diagnostic : outcome.diagnostics) std::cerr << diagnostic.to_string() << '\n';
  if (!outcome.ok()) {
    std::cerr << config_file.string() << ": the config has errors, nothing started\n";
    return kExitConfig;
  }
  const config::Config config = std::move(*outcome.config);
  set_log_level(log_level_of(config.gateway.log_level));
  SystemClock clock;
  SystemdNotifier notifier;

  auto opened = buffer::Buffer::open(buffer_options(config.buffer));
  if (!opened.ok()) {
    log_error(kComponent, opened.error().message);
    return kExitRuntime;
  }
  buffer::Buffer& buffer = *opened.value();

  auto forwarder = kafka::Forwarder::create(forwarder_options(config), buffer);
  if (!forwarder.ok()) {
    log_error(kComponent, forwarder.error().message);
    return forwarder.error().code == kafka::ForwarderError::kProducer ||
                   forwarder.error().code == kafka::ForwarderError::kBuffer
               ? kExitRuntime
               : kExitConfig;
  }

  rules::RulesEngine engine(config.rules, clock);
  HealthWatch health(config.gateway.id, config.kafka.unreachable_alert_after, kAdapterDownAfter,
                     clock);
  const auto firing = firing_keys(buffer);
  health.restore_firing(firing);
  for (const auto& gone : engine.restore_firing(firing)) {
    if (gone.rule != HealthWatch::kBufferFull && gone.rule != HealthWatch::kKafkaUnreachable &&
        gone.rule != HealthWatch::kAdapterDown) {
      log_warning(kComponent, "alert " + gone.rule + " on " + gone.device + "/" + gone.metric +
                                  " was firing, but no such rule matches it any more");
    }
  }

  // Adapters are created first (nothing runs yet) so that alerts can publish through MQTT.
  std::vector<RunningAdapter> running;
  LocalPublish publish;
  std::unique_ptr<AlertDispatcher> dispatcher;
  std::unique_ptr<RulesStage> rules_stage;
  // The ingest pipeline needs the rules stage, which needs the dispatcher, which needs the
  // publishing adapter, which needs the ingest pipeline as its sink: the pipeline is built
  // first with a late-bound observer.
  class LateObserver final : public ReadingObserver {
   public:
    void observe(const std::vector<Reading>& readings) override {
      if (target != nullptr) target->observe(readings);
    }
    ReadingObserver* target = nullptr;
  } late_observer;
  IngestPipeline ingest(buffer, config.kafka.topic, &late_observer);
  for (const auto& adapter_config : config.adapters) {
    auto created = create_adapter(adapter_config, ingest, clock);
    if (!created.ok()) {
      log_error(kComponent, created.error().message);
      return kExitConfig;
    }
    running.push_back(RunningAdapter{adapter_config, std::move(created.value())});
    if (!publish) publish = local_publisher(*running.back().adapter, adapter_config);
  }
  dispatcher = std::make_unique<AlertDispatcher>(buffer, config.kafka.alerts_topic, publish);
  rules_stage = std::make_unique<RulesStage>(engine, *dispatcher);
  late_observer.target = rules_stage.get();

  const auto backlog = buffer.stats();
  forwarder.value()->start();
  for (auto& entry : running) {
    if (const auto started = entry.adapter->start(); !started.ok()) {
      log_error(kComponent, "adapter " + entry.config.name + ": " + started.error().message);
      for (auto& other : running) other.adapter->stop(kAdapterStopDeadline);
      ingest.stop(kIngestStopDeadline);
      dispatcher->stop();
      (void)forwarder.value()->stop(std::chrono::steady_clock::now() + config.kafka.flush_timeout);
      return kExitConfig;
    }
  }

  std::string adapters_text;
  for (const auto& entry : running) {
    adapters_text += (adapters_text.empty() ? "" : ", ") + describe_adapter(entry.config);
  }
  log_info(kComponent,
           "sensorgate " + config.gateway.id + " running: buffer " + config.buffer.path.string() +
               " (" + (backlog.ok() ? std::to_string(backlog->pending) : std::string("?")) +
               " pending, cap " + format_size(config.buffer.max_bytes) + "), kafka " +
               config.kafka.brokers + " (topic " + config.kafka.topic + ", alerts " +
               config.kafka.alerts_topic +
               "), adapters: " + (adapters_text.empty() ? std::string("none") : adapters_text) +
               ", rules: " + std::to_string(config.rules.size()));
  notifier.ready("running");

  const auto watchdog_interval = notifier.watchdog_interval();
  for (;;) {
    const timespec timeout{std::chrono::duration_cast<std::chrono::seconds>(kTick).count(), 0};
    const int signal = sigtimedwait(&signals, nullptr, &timeout);
    if (signal == SIGTERM || signal == SIGINT) {
      log_info(kComponent, std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
      break;
    }
    if (signal == SIGHUP) reload_mappings(config_file, running);

    dispatcher->dispatch(engine.on_tick());
    HealthSample sample;
    if (const auto stats = buffer.stats(); stats.ok()) {
      sample.pending_bytes = stats->pending_bytes;
      sample.dropped_total = stats->dropped_total;
      notifier.status(std::to_string(stats->pending) + " readings pending");
    }
    sample.max_bytes = config.buffer.max_bytes.count;
    sample.refused_total = ingest.counters().rejected_full;
    const auto kafka_stats = forwarder.value()->stats();
    sample.kafka_up = kafka_stats.kafka_up;
    sample.kafka_down_since_ns = kafka_stats.down_since_ns;
    for (const auto& entry : running) {
      sample.adapters_up[entry.config.name] = entry.adapter->health().up;
    }
    dispatcher->dispatch(health.check(sample));
    if (watchdog_interval) notifier.watchdog();
  }

  notifier.stopping();
  for (auto& entry : running) {
    entry.adapter->stop(kAdapterStopDeadline);
    log_info(kComponent, describe_counters(entry.config.name, entry.adapter->counters()));
  }
  ingest.stop(kIngestStopDeadline);
  dispatcher->stop();
  const auto flush_deadline = std::chrono::steady_clock::now() + config.kafka.flush_timeout;
  const auto stopped = forwarder.value()->stop(flush_deadline);
  const auto left = buffer.stats();
  buffer.close();
  log_info(kComponent, "stopped; " +
                           (left.ok() ? std::to_string(left->pending) : std::string("?")) +
                           " readings wait in the buffer for the next start");
  return stopped.ok() ? kExitOk : kExitRuntime;
}

}  // namespace sensorgate::gateway
