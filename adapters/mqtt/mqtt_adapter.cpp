#include "adapters/mqtt/mqtt_adapter.hpp"

#include <mqtt/async_client.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>

#include "adapters/mqtt/paho_trace.hpp"

namespace sensorgate::mqtt {
namespace {

using adapters::RejectReason;
using namespace std::chrono_literals;

// A connect or subscribe is given this long before it counts as failed.
constexpr auto kOperationTimeout = 10s;
// How often a wait on a Paho token looks whether stop() was called.
constexpr auto kStopPoll = 50ms;
// ack: on_receive: the most message bytes waiting for the map thread (received_queue.hpp).
constexpr std::size_t kReceivedQueueBytes = 256 << 10;
// How long the map thread lets messages gather after it handled a batch: while they flow, one
// wake-up per batch rather than per message (a wake-up per message cost more than the mapping it
// moved off Paho's thread). The readings keep their time of receipt.
constexpr auto kMapGather = 1ms;
// ack: on_receive: while the last kRateWindow brought messages at map_thread_from_rate or more,
// they go to the map thread; below that rate a message is handled in the callback when the map
// thread has nothing (1,000 messages/s in bursts of 10 cost 15% more CPU with every message
// after the first of a burst handed over).
constexpr auto kRateWindow = 10ms;
constexpr std::uint32_t kWindowsPerSecond = 100;

// A callback that waits on the buffer holds Paho's client mutex and keepalive pings: wait far
// below the keepalive (the broker drops a client silent for 1.5 x keepalive).
std::chrono::milliseconds max_ack_wait_for(std::chrono::nanoseconds keepalive) {
  const auto quarter = std::chrono::duration_cast<std::chrono::milliseconds>(keepalive / 4);
  return std::clamp<std::chrono::milliseconds>(quarter, 100ms, 5s);
}

std::string test_crash_text() {
  const char* text = std::getenv("SENSORGATE_TEST_CRASH_ON");
  return text != nullptr ? std::string(text) : std::string();
}

Error<adapters::StartError> bad_settings(const std::string& component, std::string message) {
  return make_error(adapters::StartError::kBadSettings, component + ": " + std::move(message));
}

std::string paho_error(const ::mqtt::exception& error) {
  return error.get_message().empty() ? error.what() : error.get_message();
}

}  // namespace

class PublishListener final : public ::mqtt::iaction_listener {
 public:
  PublishListener(NagleSwitch& nagle, const std::string& component)
      : nagle_(nagle), failures_(LogLevel::kWarning, component) {}

  void on_success(const ::mqtt::token&) override { nagle_.release(); }
  void on_failure(const ::mqtt::token& token) override {
    nagle_.release();
    failures_.log("a published message was not delivered (Paho return code " +
                  std::to_string(token.get_return_code()) + ")");
  }

 private:
  NagleSwitch& nagle_;
  RateLimitedLog failures_;
};

MqttAdapter::MqttAdapter(std::string name, MqttSettings settings, const Clock& clock)
    : name_(std::move(name)),
      component_("mqtt[" + name_ + "]"),
      settings_(std::move(settings)),
      max_ack_wait_(max_ack_wait_for(settings_.keepalive)),
      clock_(clock),
      crash_on_(test_crash_text()),
      stats_(component_),
      withheld_log_(LogLevel::kWarning, component_),
      publish_listener_(std::make_unique<PublishListener>(nagle_, component_)) {}

MqttAdapter::~MqttAdapter() {
  stop(1s);
}

Status<adapters::StartError> MqttAdapter::start(adapters::ReadingSink& sink) {
  sink_ = &sink;
  auto mapping = Mapping::create(settings_.subscriptions);
  if (!mapping.ok()) return bad_settings(component_, mapping.error().message);
  mapping_.store(std::make_shared<const Mapping>(std::move(mapping).value()));
  if (!settings_.inflight_file.empty() && !poison_guard_) {
    auto guard = PoisonGuard::open(settings_.inflight_file);
    if (!guard.ok()) return bad_settings(component_, guard.error().message);
    if (guard->left_by_last_run() > 0) {
      log_warning(component_, "the last run ended while processing a message (attempt " +
                                  std::to_string(guard->left_by_last_run()) + " of " +
                                  std::to_string(PoisonGuard::kMaxAttempts) +
                                  "); if the broker resends it and it fails again, it goes to "
                                  "the dead letters");
    }
    poison_guard_.emplace(std::move(guard).value());
  }

  const bool tls = is_tls_url(settings_.url);

  const int version = settings_.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  auto options = std::make_unique<::mqtt::connect_options>();
  options->set_mqtt_version(version);
  if (version == MQTTVERSION_5) {
    options->set_clean_start(false);
    // A v5 session ends at disconnect unless it has an expiry; never let it expire.
    options->set_properties(::mqtt::properties{
        {::mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<std::int32_t>(0xFFFFFFFFu)}});
  } else {
    options->set_clean_session(false);
  }
  options->set_keep_alive_interval(std::max<int>(
      1, static_cast<int>(
             std::chrono::duration_cast<std::chrono::seconds>(settings_.keepalive).count())));
  options->set_connect_timeout(kOperationTimeout);
  options->set_automatic_reconnect(false);  // connect_loop() retries, with our backoff
  if (!settings_.username.empty()) options->set_user_name(settings_.username);
  if (!settings_.password.empty()) options->set_password(settings_.password);
  if (tls) {
    ::mqtt::ssl_options ssl;
    if (!settings_.ca_file.empty()) ssl.set_trust_store(settings_.ca_file.string());
    if (!settings_.cert_file.empty()) ssl.set_key_store(settings_.cert_file.string());
    if (!settings_.key_file.empty()) ssl.set_private_key(settings_.key_file.string());
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(true);
    options->set_ssl(std::move(ssl));
  }
  connect_options_ = std::move(options);

  const std::string client_id = settings_.client_id.empty() ? name_ : settings_.client_id;
  quiet_paho_trace();
  try {
    client_ = std::make_unique<::mqtt::async_client>(settings_.url, client_id,
                                                     ::mqtt::create_options(version));
  } catch (const ::mqtt::exception& error) {
    return bad_settings(component_, "url " + settings_.url + ": " + paho_error(error));
  }
  if (settings_.ack == AckMode::kOnReceive) {
    received_ = std::make_unique<ReceivedQueue>(kReceivedQueueBytes);
    streaming_ = settings_.map_thread_from_rate == 0;
    map_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "mqtt map");
      map_loop();
    });
  }
  client_->set_message_callback([this](::mqtt::const_message_ptr message) {
    if (message) on_message(*message);
  });
  // Runs on Paho's thread under its global mutex, right after the CONNACK: the moment our
  // connection can be told apart from those of other clients (see BrokerConnection).
  client_->set_connected_handler([this](const std::string&) {
    broker_connection_.claim(settings_.url);
    nagle_.attach();
  });
  client_->set_connection_lost_handler(
      [this](const std::string& cause) { on_connection_lost(cause); });

  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    detail_ = "connecting to " + settings_.url;
  }
  connect_thread_ = std::thread([this] { connect_loop(); });
  log_info(component_, "connecting to " + settings_.url + " as " + client_id + " (MQTT " +
                           (version == MQTTVERSION_5 ? "5" : "3.1.1") + ", " +
                           std::to_string(settings_.subscriptions.size()) + " subscription(s))");
  return Status<adapters::StartError>::success();
}

void MqttAdapter::stop(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !connect_thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  // The loop polls for stopping_ at least every kStopPoll, so this join is short.
  if (connect_thread_.joinable()) connect_thread_.join();
  if (!client_) return;
  try {
    if (client_->is_connected()) {
      const auto left = std::max(std::chrono::milliseconds(0),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     until - std::chrono::steady_clock::now()));
      auto token = client_->disconnect(left);
      token->wait_for(left);
    }
  } catch (const ::mqtt::exception& error) {
    log_warning(component_, "disconnect: " + paho_error(error));
  }
  stop_mapping();
  set_health(false, "stopped");
}

void MqttAdapter::stop_mapping() {
  if (!received_) return;
  // Disconnected, Paho queues nothing more; what is queued was acknowledged, so it is mapped
  // and submitted before the thread ends.
  received_->close();
  if (map_thread_.joinable()) map_thread_.join();
}

void MqttAdapter::map_loop() {
  std::vector<ReceivedMessage> batch;
  while (received_->take(batch)) {
    for (const ReceivedMessage& message : batch) {
      handle(message.topic, message.payload, message.qos, message.received_ns);
    }
    received_->done();
    // Pushes meanwhile only queue: the next take() finds them without a wake-up.
    std::this_thread::sleep_for(kMapGather);
  }
}

adapters::AdapterHealth MqttAdapter::health() const {
  std::lock_guard lock(mutex_);
  return {connected_, detail_};
}

adapters::AdapterCounters MqttAdapter::counters() const {
  return stats_.snapshot();
}

Status<PublishError> MqttAdapter::publish(const std::string& topic, std::string_view payload,
                                          int qos) {
  if (!client_ || !client_->is_connected()) {
    return make_error(PublishError::kNotConnected,
                      component_ + ": not connected to " + settings_.url);
  }
  try {
    auto message = ::mqtt::make_message(topic, payload.data(), payload.size(), qos, false);
    nagle_.hold_off();
    client_->publish(message, nullptr, *publish_listener_);
  } catch (const ::mqtt::exception& error) {
    nagle_.release();
    return make_error(PublishError::kFailed,
                      component_ + ": publish to " + topic + ": " + paho_error(error));
  }
  return Status<PublishError>::success();
}

bool MqttAdapter::publish_alert(const std::string& topic, std::string_view payload) {
  return publish(topic, payload, 1).ok();
}

Status<adapters::ReloadError> MqttAdapter::reload(const config::AdapterConfig& fresh_config) {
  const auto& running = settings_.subscriptions;
  const auto& fresh = config::settings_of<MqttSettings>(fresh_config).subscriptions;
  bool same_filters = running.size() == fresh.size();
  for (std::size_t i = 0; same_filters && i < running.size(); ++i) {
    same_filters = running[i].filter == fresh[i].filter && running[i].qos == fresh[i].qos;
  }
  if (!same_filters) {
    return make_error(adapters::ReloadError::kNeedsRestart,
                      "the subscription filters or their qos changed; restart sensorgate to "
                      "subscribe to the new ones");
  }
  auto mapping = Mapping::create(fresh);
  if (!mapping.ok()) {
    return make_error(adapters::ReloadError::kBadMapping, mapping.error().message);
  }
  mapping_.store(std::make_shared<const Mapping>(std::move(mapping).value()));
  return {};
}

void MqttAdapter::on_message(const ::mqtt::message& message) {
  stats_.count_message();
  const std::string& topic = message.get_topic();
  const ::mqtt::binary_ref& payload_ref = message.get_payload_ref();
  const std::string_view payload =
      payload_ref ? std::string_view(payload_ref.data(), payload_ref.size()) : std::string_view();
  if (!received_) {
    handle(topic, payload, message.get_qos(), clock_.now_ns());
    return;
  }
  // A message after a pause is handled here when the map thread has nothing: under light load
  // a hand-off per message would cost a wake-up per message (map_loop()).
  const auto arrived = std::chrono::steady_clock::now();
  if (arrived - rate_window_start_ >= kRateWindow) {
    streaming_ = rate_window_messages_ >= settings_.map_thread_from_rate / kWindowsPerSecond;
    rate_window_start_ = arrived;
    rate_window_messages_ = 0;
  }
  ++rate_window_messages_;
  if (!streaming_ && received_->idle()) {
    handle(topic, payload, message.get_qos(), clock_.now_ns());
    return;
  }
  // Returning acknowledges the message: with ack: on_receive it is queued first.
  if (!received_->push(topic, payload, message.get_qos(), clock_.now_ns())) {
    reject(RejectReason::kStopping, topic, "message lost: the gateway is stopping");
  }
}

void MqttAdapter::handle(const std::string& topic, std::string_view payload, int qos,
                         std::int64_t received_ns) {
  if (!poison_guard_) {
    process(topic, payload, qos, received_ns);
    return;
  }
  const std::uint32_t attempts = poison_guard_->begin(topic, payload);
  if (attempts > PoisonGuard::kMaxAttempts) {
    quarantine(topic, payload, attempts);
  } else {
    process(topic, payload, qos, received_ns);
  }
  poison_guard_->finish();
}

void MqttAdapter::quarantine(const std::string& topic, std::string_view payload,
                             std::uint32_t attempts) {
  const std::string why = "poison: the gateway ended " + std::to_string(attempts - 1) +
                          " times while processing this message (adapter " + name_ + ")";
  const auto kept = sink_->dead_letter(topic, payload, why);
  reject(RejectReason::kPoison, topic,
         why + (kept.ok() ? "; kept in the dead letters, acknowledged"
                          : "; acknowledged, and could not be kept: " + kept.error().message));
}

void MqttAdapter::process(const std::string& topic, std::string_view payload, int qos,
                          std::int64_t received_ns) {
  if (!crash_on_.empty() && payload.find(crash_on_) != std::string_view::npos) std::abort();
  const std::shared_ptr<const Mapping> mapping = mapping_.load();
  auto readings = mapping->map(topic, payload, received_ns);
  if (!readings.ok()) {
    reject(readings.error().code, topic, readings.error().message);
    return;
  }
  if (readings->empty()) return;
  const std::size_t count = readings->size();
  if (settings_.ack == AckMode::kAfterCommit && qos > 0) {
    commit_before_ack(topic, std::move(readings).value());
    return;
  }
  // Blocks while the ingest queue is full: the backpressure that slows the broker down.
  Status<adapters::IngestError> submitted = sink_->submit(std::move(readings).value());
  if (submitted.ok()) {
    stats_.count_readings(count);
    return;
  }
  count_lost(topic, count, submitted.error());
}

void MqttAdapter::commit_before_ack(const std::string& topic, std::vector<Reading> readings) {
  const std::size_t count = readings.size();
  Status<adapters::IngestError> committed =
      sink_->submit_and_wait_retrying(std::move(readings), max_ack_wait_);
  if (committed.ok()) {
    stats_.count_readings(count);
    return;  // Paho sends the PUBACK (PUBREC) when the callback returns
  }
  // Returning acknowledges the message, so the connection goes first: Paho's acknowledgement
  // then cannot leave, and the broker keeps the message (and what it queued behind it) in the
  // session for the next connect, after the reconnect backoff.
  const std::string why = committed.error().code == adapters::IngestError::kStopping
                              ? "the gateway is stopping"
                              : "the buffer cannot commit: " + committed.error().message;
  drop_connection_unacknowledged(why);
  withheld_log_.log("not acknowledging a message on " + topic + " (" + why +
                    "); the broker keeps it and redelivers it after reconnecting");
}

void MqttAdapter::drop_connection_unacknowledged(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    connected_ = false;
    detail_ = "paused, not acknowledging: " + why;
  }
  // Paho C neither hands out its socket nor can drop the connection from inside its callback
  // without sending the acknowledgement first (its disconnect waits for the global mutex this
  // callback runs under); BrokerConnection finds the socket. shutdown() leaves the descriptor to
  // Paho, which sees the connection fail at its next read or write and reports it lost.
  for (const int fd : broker_connection_.descriptors()) ::shutdown(fd, SHUT_RDWR);
}

void MqttAdapter::count_lost(std::string_view topic, std::size_t count,
                             const Error<adapters::IngestError>& error) {
  switch (error.code) {
    case adapters::IngestError::kFull:
      reject(RejectReason::kBufferFull, topic, error.message);
      return;
    case adapters::IngestError::kFailed:
      // Paho acknowledges when this callback returns: these readings are lost, and counted.
      reject(RejectReason::kCommitFailed, topic,
             std::to_string(count) + " reading(s) lost: " + error.message);
      return;
    case adapters::IngestError::kStopping:
      reject(RejectReason::kStopping, topic,
             std::to_string(count) + " reading(s) lost: " + error.message);
      return;
  }
}

void MqttAdapter::reject(RejectReason reason, std::string_view topic, std::string_view message) {
  stats_.reject(reason, 1, "message on " + std::string(topic), message);
}

void MqttAdapter::on_connection_lost(const std::string& cause) {
  {
    std::lock_guard lock(mutex_);
    ++connections_lost_;
    connected_ = false;
    detail_ = "connection to " + settings_.url + " lost" + (cause.empty() ? "" : ": " + cause);
  }
  log_warning(component_, "connection to " + settings_.url + " lost" +
                              (cause.empty() ? "" : ": " + cause) + "; reconnecting");
  wake_.notify_all();
}

void MqttAdapter::set_health(bool up, std::string detail) {
  std::lock_guard lock(mutex_);
  connected_ = up;
  detail_ = std::move(detail);
}

bool MqttAdapter::wait_unless_stopping(std::chrono::nanoseconds duration) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

bool MqttAdapter::wait_for_token(const ::mqtt::token_ptr& token) {
  const auto until = std::chrono::steady_clock::now() + kOperationTimeout;
  while (!token->wait_for(kStopPoll)) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
    }
    if (std::chrono::steady_clock::now() >= until) return false;
  }
  return true;
}

bool MqttAdapter::connect_once(std::string& error) {
  std::uint64_t losses_before = 0;
  {
    std::lock_guard lock(mutex_);
    losses_before = connections_lost_;
  }
  try {
    const ::mqtt::token_ptr connecting = client_->connect(*connect_options_);
    if (!wait_for_token(connecting)) {
      error = "connect timed out";
      return false;
    }
    // A session the broker kept has our subscriptions already, and the broker resends its
    // backlog right after CONNACK. With ack: after_commit each of those messages waits for its
    // commit inside Paho's callback, under Paho's global mutex, so the SUBACKs can take longer
    // than any timeout: the adapter is up at once, and a late confirmation only logs.
    const bool session_present = connecting->get_connect_response().is_session_present();
    std::vector<::mqtt::token_ptr> subscribing;
    for (const Subscription& sub : settings_.subscriptions) {
      subscribing.push_back(client_->subscribe(sub.filter, sub.qos));
    }
    if (session_present) {
      std::lock_guard lock(mutex_);
      connected_ = connections_lost_ == losses_before;
      detail_ = "connected to " + settings_.url + " (session kept by the broker)";
    }
    for (std::size_t i = 0; i < subscribing.size(); ++i) {
      const std::string& filter = settings_.subscriptions[i].filter;
      if (!wait_for_token(subscribing[i])) {
        if (session_present) {
          log_warning(component_, "the broker has not confirmed the subscription to " + filter +
                                      " yet (it is resending the session's messages); the "
                                      "session's subscription delivers meanwhile");
          continue;
        }
        error = "subscribe to " + filter + " timed out";
        return false;
      }
      // MQTT 3.1.1: a refused subscription fails the token. MQTT 5: it comes as a reason code
      // (Paho C++ 1.2 fills the v3 response with garbage, so it is read for v5 only).
      if (settings_.mqtt_version != 5) continue;
      const ::mqtt::subscribe_response response = subscribing[i]->get_subscribe_response();
      for (::mqtt::ReasonCode code : response.get_reason_codes()) {
        if (code > ::mqtt::ReasonCode::GRANTED_QOS_2) {
          error = "the broker refused the subscription to " + filter + " (reason code " +
                  std::to_string(static_cast<int>(code)) + ")";
          return false;
        }
      }
    }
  } catch (const ::mqtt::exception& failure) {
    error = paho_error(failure);
    return false;
  }
  std::lock_guard lock(mutex_);
  if (connections_lost_ != losses_before) {
    error = "connection lost while subscribing";
    return false;
  }
  connected_ = true;
  detail_ = "connected to " + settings_.url;
  return true;
}

void MqttAdapter::connect_loop() {
  auto backoff = settings_.reconnect_min;
  RateLimitedLog failure_log(LogLevel::kWarning, component_);
  while (true) {
    std::string error;
    if (connect_once(error)) {
      backoff = settings_.reconnect_min;
      log_info(component_, "connected to " + settings_.url + ", subscribed to " +
                               std::to_string(settings_.subscriptions.size()) + " filter(s)");
      std::unique_lock lock(mutex_);
      const std::uint64_t losses = connections_lost_;
      wake_.wait(lock, [&] { return stopping_ || connections_lost_ != losses; });
      if (stopping_) return;
    } else {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      // A half-open session (connected but not subscribed) is dropped before the retry.
      try {
        if (client_->is_connected()) (void)wait_for_token(client_->disconnect());
      } catch (const ::mqtt::exception&) {
        // The retry below starts from a fresh connect either way.
      }
      const std::string detail = "cannot connect to " + settings_.url + ": " + error;
      set_health(false, detail);
      failure_log.log(detail + "; retrying in " + format_duration(backoff));
    }
    if (!wait_unless_stopping(backoff)) return;
    backoff = std::min(backoff * 2, settings_.reconnect_max);
  }
}

}  // namespace sensorgate::mqtt
