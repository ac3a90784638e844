#include "gateway/daemon/gateway.hpp"

#include "adapters/adapter_types.hpp"
#include "buffer/quarantine.hpp"
#include "core/log.hpp"
#include "core/units.hpp"
#include "gateway/config_check.hpp"
#include "gateway/daemon/alert_dispatcher.hpp"
#include "gateway/daemon/forwarder_options.hpp"
#include "gateway/daemon/health_watch.hpp"
#include "gateway/daemon/ingest.hpp"
#include "gateway/daemon/loss_recording_sink.hpp"
#include "gateway/daemon/rules_stage.hpp"
#include "gateway/daemon/watchdog.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "gateway/rules/engine.hpp"
#include "gateway/status/server.hpp"
#include "gateway/status/watched_buffer.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "gateway";
constexpr auto kAdapterStopDeadline = std::chrono::seconds(5);
constexpr auto kIngestStopDeadline = std::chrono::seconds(10);
// How long an adapter may be down before the adapter_down alert fires.
constexpr auto kAdapterDownAfter = std::chrono::seconds(30);

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

Error<GatewayError> runtime_error(std::string message) {
  return make_error(GatewayError::kRuntime, std::move(message));
}

std::string describe_adapter(const RunningAdapter& running) {
  return running.config.name + " (" + running.config.type + ")";
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

bool is_gateway_rule(const std::string& rule) {
  return rule == HealthWatch::kBufferFull || rule == HealthWatch::kKafkaUnreachable ||
         rule == HealthWatch::kAdapterDown || rule == HealthWatch::kBufferCorrupt;
}

}  // namespace

Gateway::Gateway(config::Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

Gateway::~Gateway() {
  if (!stopped_) (void)stop();
}

Result<std::unique_ptr<Gateway>, GatewayError> Gateway::create(config::Config config,
                                                               const Clock& clock) {
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(config), clock));
  const config::Config& cfg = gateway->config_;

  auto opened = buffer::Buffer::open(buffer_options(cfg.buffer));
  if (!opened.ok()) return runtime_error(opened.error().message);
  gateway->buffer_ = std::move(opened).value();
  gateway->watched_buffer_ = std::make_unique<status::WatchedBuffer>(*gateway->buffer_);

  kafka::ForwarderOptions options = forwarder_options(cfg);
  // Fenced by another process with the same gateway.id: the daemon's loop stops the gateway.
  options.on_fatal = [request = &gateway->stop_request_](const std::string& reason) {
    request->request(reason);
  };
  auto forwarder = kafka::Forwarder::create(std::move(options), *gateway->buffer_);
  if (!forwarder.ok()) {
    const bool config_error = forwarder.error().code == kafka::ForwarderError::kInvalidProperty ||
                              forwarder.error().code == kafka::ForwarderError::kConflictingProperty;
    return make_error(config_error ? GatewayError::kConfig : GatewayError::kRuntime,
                      forwarder.error().message);
  }
  gateway->forwarder_ = std::move(forwarder).value();

  gateway->engine_ = std::make_unique<rules::RulesEngine>(cfg.rules, clock);
  gateway->health_ = std::make_unique<HealthWatch>(
      cfg.gateway.id, cfg.kafka.unreachable_alert_after, kAdapterDownAfter, clock);
  const auto firing = firing_keys(*gateway->buffer_);
  gateway->health_->restore_firing(firing);
  for (const auto& gone : gateway->engine_->restore_firing(firing)) {
    if (is_gateway_rule(gone.rule)) continue;
    log_warning(kComponent, "alert " + gone.rule + " on " + gone.device + "/" + gone.metric +
                                " was firing, but no such rule matches it any more");
  }

  const adapters::AdapterEnvironment environment{gateway->config_, clock};
  adapters::AlertPublisher* publisher = nullptr;
  for (const config::AdapterConfig& adapter_config : cfg.adapters) {
    auto created = adapters::create_adapter(adapter_config, environment);
    if (!created.ok()) return make_error(GatewayError::kConfig, created.error().message);
    RunningAdapter running{adapter_config, std::move(created).value()};
    if (publisher == nullptr) publisher = running.adapter->alert_publisher();
    gateway->adapters_.push_back(std::move(running));
  }
  gateway->dispatcher_ = std::make_unique<AlertDispatcher>(*gateway->watched_buffer_,
                                                           cfg.kafka.alerts_topic, publisher);
  gateway->rules_stage_ = std::make_unique<RulesStage>(*gateway->engine_, *gateway->dispatcher_);
  gateway->ingest_ = std::make_unique<IngestPipeline>(
      *gateway->watched_buffer_, cfg.kafka.topic, gateway->rules_stage_.get(),
      IngestOptions{.commit_interval = cfg.buffer.commit_interval,
                    .commit_max_rows = cfg.buffer.commit_max_rows});
  gateway->sink_ = std::make_unique<LossRecordingSink>(*gateway->ingest_, *gateway->buffer_);
  return gateway;
}

Status<GatewayError> Gateway::start() {
  forwarder_->start();
  forwarder_started_ = true;
  for (RunningAdapter& running : adapters_) {
    if (const auto started = running.adapter->start(*sink_); !started.ok()) {
      return make_error(GatewayError::kConfig,
                        "adapter " + running.config.name + ": " + started.error().message);
    }
  }
  status_server_ = std::make_unique<status::StatusServer>(
      status::ServerOptions{config_.http.listen, config_.http.token, SENSORGATE_VERSION},
      [this] { return snapshot(); }, *buffer_, clock_);
  if (const auto listening = status_server_->start(); !listening.ok()) {
    log_error(kComponent, listening.error().message + "; running without the status endpoint");
    status_server_.reset();
  }
  return {};
}

status::GatewaySnapshot Gateway::snapshot() const {
  status::GatewaySnapshot out;
  out.gateway_id = config_.gateway.id;
  out.kafka_brokers = config_.kafka.brokers;
  // adapters_ follows config_.adapters one to one; config_ never changes, unlike the adapters'
  // own entries, which reload() replaces.
  for (std::size_t i = 0; i < adapters_.size(); ++i) {
    const adapters::Adapter& adapter = *adapters_[i].adapter;
    out.adapters.push_back(
        {adapter.name(), config_.adapters[i].type, adapter.health(), adapter.counters()});
  }
  out.readings_committed = ingest_->counters().committed;
  out.kafka = forwarder_->stats();
  out.commit = watched_buffer_->commit_state();
  out.alerts = watched_buffer_->alert_activity();
  return out;
}

std::string Gateway::describe() const {
  std::string adapters_text;
  for (const RunningAdapter& running : adapters_) {
    adapters_text += (adapters_text.empty() ? "" : ", ") + describe_adapter(running);
  }
  const auto backlog = buffer_->stats();
  return "sensorgate " + config_.gateway.id + " running: buffer " + config_.buffer.path.string() +
         " (" + (backlog.ok() ? std::to_string(backlog->pending) : std::string("?")) +
         " pending, cap " + format_size(config_.buffer.max_bytes) + "), kafka " +
         config_.kafka.brokers + " (topic " + config_.kafka.topic + ", alerts " +
         config_.kafka.alerts_topic +
         "), adapters: " + (adapters_text.empty() ? std::string("none") : adapters_text) +
         ", rules: " + std::to_string(config_.rules.size());
}

std::string Gateway::tick() {
  dispatcher_->dispatch(engine_->on_tick());
  HealthSample sample;
  std::string status;
  if (const auto stats = buffer_->stats(); stats.ok()) {
    sample.pending_bytes = stats->pending_bytes;
    // buffer_full is about the cap; the other losses have their own log lines and counters.
    const auto at_cap =
        stats->dropped_by_reason.find(buffer::drop_reason_label(buffer::DropReason::kCap));
    sample.dropped_total = at_cap == stats->dropped_by_reason.end() ? 0 : at_cap->second;
    status = std::to_string(stats->pending) + " readings pending";
  }
  sample.max_bytes = config_.buffer.max_bytes.count;
  sample.quarantined = buffer::list_quarantined(config_.buffer.path);
  sample.refused_total = ingest_->counters().rejected_full;
  const auto kafka_stats = forwarder_->stats();
  sample.kafka_up = kafka_stats.kafka_up;
  sample.kafka_down_since_ns = kafka_stats.down_since_ns;
  for (const RunningAdapter& running : adapters_) {
    sample.adapters_up[running.config.name] = running.adapter->health().up;
  }
  dispatcher_->dispatch(health_->check(sample));
  return status;
}

bool Gateway::alive(std::chrono::steady_clock::duration max_age) const {
  return threads_alive({&buffer_->writer_heartbeat(), &forwarder_->heartbeat()}, max_age);
}

void Gateway::reload(const std::filesystem::path& config_file) {
  log_info(kComponent, "SIGHUP: reloading mappings from " + config_file.string());
  const auto outcome = load_checked_config(config_file);
  for (const auto& diagnostic : outcome.diagnostics) {
    log_warning(kComponent, "reload: " + diagnostic.to_string());
  }
  if (!outcome.ok()) {
    log_error(kComponent, "reload refused, the config has errors; keeping the running mappings");
    return;
  }
  for (RunningAdapter& running : adapters_) {
    const config::AdapterConfig* fresh = nullptr;
    for (const auto& candidate : outcome.config->adapters) {
      if (candidate.name == running.config.name) fresh = &candidate;
    }
    if (fresh == nullptr || fresh->type != running.config.type) {
      log_warning(kComponent, "reload: adapter " + running.config.name +
                                  " was removed or changed type; that takes a restart, keeping it");
      continue;
    }
    adapters::MappingReloader* reloader = running.adapter->mapping_reloader();
    if (reloader == nullptr) {
      log_warning(kComponent, "reload: adapter " + running.config.name + " (" +
                                  running.config.type +
                                  ") cannot change while running; its changes take a restart");
      continue;
    }
    if (const auto reloaded = reloader->reload(*fresh); !reloaded.ok()) {
      log_error(kComponent, "reload: adapter " + running.config.name + ": " +
                                reloaded.error().message + "; keeping its running mappings");
      continue;
    }
    running.config = *fresh;
    log_info(kComponent, "reload: adapter " + running.config.name + " has its new mappings");
  }
  for (const auto& candidate : outcome.config->adapters) {
    bool known = false;
    for (const RunningAdapter& running : adapters_) {
      known = known || running.config.name == candidate.name;
    }
    if (!known) {
      log_warning(kComponent,
                  "reload: new adapter " + candidate.name + " starts at the next restart");
    }
  }
}

int Gateway::stop() {
  if (stopped_) return 0;
  stopped_ = true;
  if (status_server_) status_server_->stop();
  for (RunningAdapter& running : adapters_) {
    running.adapter->stop(kAdapterStopDeadline);
    log_info(kComponent, describe_counters(running.config.name, running.adapter->counters()));
  }
  if (ingest_) ingest_->stop(kIngestStopDeadline);
  if (dispatcher_) {
    dispatcher_->stop();
    const AlertLosses lost = dispatcher_->losses();
    if (lost.queue_full + lost.after_stop + lost.store_failed > 0) {
      log_error(kComponent, "alert events lost: " + std::to_string(lost.queue_full) +
                                " queue_full, " + std::to_string(lost.after_stop) +
                                " after_stop, " + std::to_string(lost.store_failed) +
                                " store_failed");
    }
  }
  bool clean = true;
  if (forwarder_ && forwarder_started_) {
    const auto deadline = std::chrono::steady_clock::now() + config_.kafka.flush_timeout;
    if (const auto stopped = forwarder_->stop(deadline); !stopped.ok()) {
      log_error(kComponent, stopped.error().message);
      clean = false;
    }
  }
  if (buffer_) {
    const auto left = buffer_->stats();
    buffer_->close();
    log_info(kComponent, "stopped; " +
                             (left.ok() ? std::to_string(left->pending) : std::string("?")) +
                             " readings wait in the buffer for the next start");
  }
  return clean ? 0 : 1;
}

}  // namespace sensorgate::gateway
