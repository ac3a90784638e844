// MqttAdapter: subscribes to an MQTT broker with the Paho C++ async client and hands the mapped
// readings of every message to the ReadingSink; also publishes (alerts). Thread-safe: start()
// and stop() from one controlling thread, everything else from any thread.
//
// Session: clean session off (MQTT 5: clean start off, session never expires), so the broker
// queues QoS 1/2 messages while the gateway is away and delivers them on the next connect.
// Acknowledgement: Paho C sends the QoS 1 PUBACK (QoS 2 PUBREC) when the message callback
// returns (../shared/FIELD-NOTES.md). With ack: after_commit (the default) the callback returns
// once the message's readings are committed to the buffer (ReadingSink::submit_and_wait_retrying,
// one commit per message, as Paho runs the callbacks one at a time); a message rejected for what
// redelivery cannot fix (bad payload, no mapping) is counted and acknowledged at once. While the
// buffer refuses (full with on_full: reject, disk full) the callback retries for at most
// max_ack_wait (a quarter of the keepalive, at most 5 s: Paho's client mutex and keepalive pings
// wait meanwhile), then drops the connection before returning, so the acknowledgement cannot
// leave and the broker keeps the message for the next connect: backpressure, nothing lost.
// The same at stop. With ack: on_receive the callback returns once the readings are queued with
// ReadingSink::submit, before the group commit: a crash may lose what arrived within
// buffer.commit_interval. QoS 0 messages have nothing to acknowledge and are queued likewise.
// With ack: on_receive a stream of messages is not even mapped in the callback: it copies each
// message into a ReceivedQueue (received_queue.hpp, at most kReceivedQueueBytes) and returns,
// and the adapter's "mqtt map" thread maps and submits, in arrival order, once a millisecond; a
// crash may also lose what waits there. Below map_thread_from_rate (5,000 messages/s: light load)
// a message is mapped in the callback when the map thread has nothing, so light load costs no
// wake-up per message.
// A blocked callback stops reading from the socket, which pushes back on the broker. Paho C runs
// one receive thread for all its clients in a process, so a blocked callback also holds back
// every other MQTT adapter.
//
// Poison: a message the process died on kMaxAttempts times (PoisonGuard, marker file
// <gateway.data_dir>/<adapter>.inflight) is not mapped again: it goes to the dead letters
// (reason poison) and is acknowledged. Test hook: when SENSORGATE_TEST_CRASH_ON is set (read at
// construction), a payload containing its text aborts the process inside the callback, as a
// parser crash would.
//
// Threads: Paho's own threads run the message and connection-lost callbacks; with ack:
// on_receive the "mqtt map" thread maps the received messages; one adapter thread
// ("mqtt connect") connects, subscribes to every filter after each (re)connect, and after a
// failure or a lost connection retries with a backoff doubling from reconnect_min to
// reconnect_max.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "adapters/adapter.hpp"
#include "adapters/adapter_stats.hpp"
#include "adapters/mqtt/mapping.hpp"
#include "adapters/mqtt/nagle_switch.hpp"
#include "adapters/mqtt/poison_guard.hpp"
#include "adapters/mqtt/received_queue.hpp"
#include "adapters/mqtt/settings.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace mqtt {
class async_client;
class connect_options;
class message;
class token;
}  // namespace mqtt

namespace sensorgate::mqtt {

enum class PublishError {
  kNotConnected,  // no connection to the broker right now
  kFailed,        // the client refused the message (e.g. too many in flight)
};

// Completes the adapter's own publishes: releases the NagleSwitch, logs failed deliveries.
class PublishListener;

class MqttAdapter final : public adapters::Adapter,
                          public adapters::AlertPublisher,
                          public adapters::MappingReloader {
 public:
  // `settings` as parsed by parse_settings, with client_id set (create_adapter does that).
  // `clock` must outlive the adapter. Nothing connects before start().
  MqttAdapter(std::string name, MqttSettings settings, const Clock& clock);
  // Stops with a 1 s deadline if stop() was not called.
  ~MqttAdapter() override;
  MqttAdapter(const MqttAdapter&) = delete;
  MqttAdapter& operator=(const MqttAdapter&) = delete;

  const std::string& name() const override { return name_; }

  // Call once. Compiles the mappings and the client (kBadSettings with a message naming the
  // adapter and the problem; the config check has vetted both) and starts connecting in the
  // background. `sink` must outlive the adapter.
  Status<adapters::StartError> start(adapters::ReadingSink& sink) override;

  // Disconnects and joins the connect thread within `deadline`, then maps and submits what the
  // ReceivedQueue still holds (acknowledged already) and joins the map thread. A message
  // callback or the map thread blocked in ReadingSink::submit returns only when the sink lets it.
  void stop(std::chrono::milliseconds deadline) override;

  // up while connected and subscribed; detail names the url, or the last connect error.
  adapters::AdapterHealth health() const override;
  adapters::AdapterCounters counters() const override;

  adapters::AlertPublisher* alert_publisher() override { return this; }
  adapters::MappingReloader* mapping_reloader() override { return this; }

  // Swaps in the mappings of `fresh` (device and metric templates, payload format, fields,
  // timestamps, topics, tags) for the next message. The subscriptions must keep their filters and
  // qos, else kNeedsRestart; other connection settings apply at the next restart. On an error
  // the running mappings stay.
  Status<adapters::ReloadError> reload(const config::AdapterConfig& fresh) override;

  // publish(topic, payload, 1).ok(): alerts on the local broker.
  bool publish_alert(const std::string& topic, std::string_view payload) override;

  // Publishes `payload` on `topic`, not retained, with Nagle off on the connection until the
  // broker acknowledges it (see NagleSwitch). Returns once the client has taken the message; a
  // later delivery failure is logged. Errors: kNotConnected, kFailed.
  Status<PublishError> publish(const std::string& topic, std::string_view payload, int qos = 1);

 private:
  // Paho's callback: handles the message, or with ack: on_receive queues it for map_loop().
  void on_message(const ::mqtt::message& message);
  // Brackets process() with the PoisonGuard.
  void handle(const std::string& topic, std::string_view payload, int qos,
              std::int64_t received_ns);
  // Maps and hands over one message; `received_ns` is the readings' default timestamp.
  void process(const std::string& topic, std::string_view payload, int qos,
               std::int64_t received_ns);
  // The "mqtt map" thread: handles what the ReceivedQueue holds until it is closed and empty.
  void map_loop();
  // Closes the ReceivedQueue and joins the map thread once it handled what was left.
  void stop_mapping();
  // Dead-letters a poison message and counts it.
  void quarantine(const std::string& topic, std::string_view payload, std::uint32_t attempts);
  // ack: after_commit: returns once `readings` are committed, or drops the connection first so
  // that Paho cannot acknowledge them.
  void commit_before_ack(const std::string& topic, std::vector<Reading> readings);
  // Shuts down the connection under Paho (its next read or write fails) and marks the adapter
  // down with `why`; connect_loop reconnects after the backoff.
  void drop_connection_unacknowledged(const std::string& why);
  // Counts readings that were acknowledged (or had nothing to acknowledge) and not committed.
  void count_lost(std::string_view topic, std::size_t count,
                  const Error<adapters::IngestError>& error);
  void on_connection_lost(const std::string& cause);
  void connect_loop();
  // One connect + subscribe attempt; false with `error` set on failure or when stopping.
  bool connect_once(std::string& error);
  // Waits for a Paho token to complete; false if stop() is called or the operation timeout
  // passes first. Throws ::mqtt::exception when the operation failed.
  bool wait_for_token(const std::shared_ptr<::mqtt::token>& token);
  void reject(adapters::RejectReason reason, std::string_view topic, std::string_view message);
  void set_health(bool up, std::string detail);
  // Waits `duration` or until stop() wakes it; false when stopping.
  bool wait_unless_stopping(std::chrono::nanoseconds duration);

  const std::string name_;
  const std::string component_;  // "mqtt[<name>]" in logs
  const MqttSettings settings_;
  // How long a callback waits for a refusing buffer before it drops the connection.
  const std::chrono::milliseconds max_ack_wait_;
  adapters::ReadingSink* sink_ = nullptr;  // set by start()
  const Clock& clock_;
  std::atomic<std::shared_ptr<const Mapping>> mapping_;  // swapped by reload()
  std::unique_ptr<::mqtt::connect_options> connect_options_;
  std::optional<PoisonGuard> poison_guard_;  // opened by start() when inflight_file is set
  const std::string crash_on_;               // the test hook's text; empty: off

  adapters::AdapterStats stats_;
  RateLimitedLog withheld_log_;

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool connected_ = false;
  std::uint64_t connections_lost_ = 0;  // bumped by each connection-lost callback
  std::string detail_ = "not started";
  std::thread connect_thread_;

  BrokerConnection broker_connection_;  // claimed in Paho's connected callback
  NagleSwitch nagle_{broker_connection_};
  std::unique_ptr<PublishListener> publish_listener_;

  // ack: on_receive: messages between Paho's callback and the map thread (started by start()).
  std::unique_ptr<ReceivedQueue> received_;
  std::thread map_thread_;
  // The arrival rate: Paho's receive thread only (it runs the callbacks one at a time).
  std::chrono::steady_clock::time_point rate_window_start_{};
  std::uint32_t rate_window_messages_ = 0;
  bool streaming_ = false;  // the last full window was at the map thread's rate

  // Last, so it is destroyed first: its callbacks use every member above.
  std::unique_ptr<::mqtt::async_client> client_;
};

}  // namespace sensorgate::mqtt
