// PahoCClient: the plain Paho C async client (MQTTAsync) the MQTT benchmark uses for its baseline
// and to load the broker: a counting subscriber with no gateway code, and a QoS 1 publisher that
// keeps many messages in flight. Blocking calls wait at most `timeout`.
#pragma once

#include <MQTTAsync.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sensorgate::bench {

class PahoCClient {
 public:
  // Creates the client; nothing connects before connect().
  PahoCClient(const std::string& url, const std::string& client_id);
  ~PahoCClient();
  PahoCClient(const PahoCClient&) = delete;
  PahoCClient& operator=(const PahoCClient&) = delete;

  // Connects with clean session off (MQTT 3.1.1), so the broker keeps the session and queues QoS 1
  // messages for it while it is away. False on failure or timeout.
  bool connect(std::chrono::seconds timeout = std::chrono::seconds(10));
  bool subscribe(const std::string& filter, int qos,
                 std::chrono::seconds timeout = std::chrono::seconds(10));
  void disconnect();

  // Publishes at QoS 1 without waiting for the ack; retries while the client has too many
  // messages in flight. False if the client refuses the message for another reason.
  bool publish(const std::string& topic, const std::string& payload);
  // Waits until `count` publishes have been acknowledged by the broker (a failed publish never
  // is, so the wait then times out).
  bool wait_acked(std::uint64_t count, std::chrono::seconds timeout);

  // Messages received since connect(), counted by the message callback and then dropped.
  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }

 private:
  static int on_message(void* context, char* topic, int topic_length, MQTTAsync_message* message);
  static void on_acked(void* context, MQTTAsync_successData* response);

  MQTTAsync client_ = nullptr;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> acked_{0};
};

}  // namespace sensorgate::bench
