// MqttClient: a plain Paho client for tests, playing the sensors (publish at QoS 1, waiting for
// each ack) or a local consumer of alerts (subscribe and collect, with arrival times).
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace sensorgate::testing {

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  std::chrono::steady_clock::time_point arrived;
};

class MqttClient {
 public:
  // Connects with a clean session; throws when the broker cannot be reached within 10 s.
  MqttClient(const std::string& url, const std::string& client_id);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Publishes at `qos` and waits for the broker's ack; throws on failure.
  void publish(const std::string& topic, const std::string& payload, int qos = 1);
  void subscribe(const std::string& filter, int qos = 1);
  std::vector<ReceivedMessage> received() const;

 private:
  std::unique_ptr<::mqtt::async_client> client_;
  mutable std::mutex mutex_;
  std::vector<ReceivedMessage> received_;
};

}  // namespace sensorgate::testing
