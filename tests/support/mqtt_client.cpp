#include "support/mqtt_client.hpp"

#include <mqtt/async_client.h>

namespace sensorgate::testing {

MqttClient::MqttClient(const std::string& url, const std::string& client_id)
    : client_(std::make_unique<::mqtt::async_client>(url, client_id)) {
  client_->set_message_callback([this](::mqtt::const_message_ptr message) {
    std::lock_guard lock(mutex_);
    received_.push_back(ReceivedMessage{message->get_topic(), message->to_string(),
                                        std::chrono::steady_clock::now()});
  });
  ::mqtt::connect_options options;
  options.set_clean_session(true);
  options.set_connect_timeout(std::chrono::seconds(10));
  client_->connect(options)->wait_for(std::chrono::seconds(10));
  if (!client_->is_connected())
    throw std::runtime_error("test MQTT client cannot connect to " + url);
}

MqttClient::~MqttClient() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(5));
  } catch (const ::mqtt::exception&) {
    // The broker may be gone already; nothing to clean up then.
  }
}

void MqttClient::publish(const std::string& topic, const std::string& payload, int qos) {
  auto token = client_->publish(topic, payload.data(), payload.size(), qos, false);
  if (!token->wait_for(std::chrono::seconds(10))) {
    throw std::runtime_error("publish on " + topic + " was not acknowledged");
  }
}

void MqttClient::subscribe(const std::string& filter, int qos) {
  client_->subscribe(filter, qos)->wait_for(std::chrono::seconds(10));
}

std::vector<ReceivedMessage> MqttClient::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

}  // namespace sensorgate::testing
