#include "bench/mqtt/paho_c_client.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace sensorgate::bench {
namespace {

// The outcome of one asynchronous call, reported through its onSuccess/onFailure callbacks.
struct Outcome {
  std::mutex mutex;
  std::condition_variable changed;
  enum { kPending, kSucceeded, kFailed } state = kPending;

  static void succeeded(void* context, MQTTAsync_successData*) {
    static_cast<Outcome*>(context)->settle(kSucceeded);
  }
  static void failed(void* context, MQTTAsync_failureData*) {
    static_cast<Outcome*>(context)->settle(kFailed);
  }
  void settle(decltype(state) outcome) {
    std::lock_guard lock(mutex);
    state = outcome;
    changed.notify_all();
  }
  bool wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, timeout, [&] { return state != kPending; });
    return state == kSucceeded;
  }
};

}  // namespace

PahoCClient::PahoCClient(const std::string& url, const std::string& client_id) {
  // Errors only, as the adapter sets it (adapters/mqtt/paho_trace.hpp): by default Paho formats
  // a trace line for every packet, and the baseline is a plain client configured as well as ours.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  if (MQTTAsync_create(&client_, url.c_str(), client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                       nullptr) != MQTTASYNC_SUCCESS) {
    throw std::runtime_error("MQTTAsync_create failed for " + url);
  }
  MQTTAsync_setCallbacks(client_, this, nullptr, &PahoCClient::on_message, nullptr);
}

PahoCClient::~PahoCClient() {
  disconnect();
  MQTTAsync_destroy(&client_);
}

bool PahoCClient::connect(std::chrono::seconds timeout) {
  Outcome outcome;
  MQTTAsync_connectOptions options = MQTTAsync_connectOptions_initializer;
  options.keepAliveInterval = 30;
  options.cleansession = 0;
  options.MQTTVersion = MQTTVERSION_3_1_1;
  options.onSuccess = &Outcome::succeeded;
  options.onFailure = &Outcome::failed;
  options.context = &outcome;
  if (MQTTAsync_connect(client_, &options) != MQTTASYNC_SUCCESS) return false;
  return outcome.wait(timeout);
}

bool PahoCClient::subscribe(const std::string& filter, int qos, std::chrono::seconds timeout) {
  Outcome outcome;
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  options.onSuccess = &Outcome::succeeded;
  options.onFailure = &Outcome::failed;
  options.context = &outcome;
  if (MQTTAsync_subscribe(client_, filter.c_str(), qos, &options) != MQTTASYNC_SUCCESS)
    return false;
  return outcome.wait(timeout);
}

void PahoCClient::disconnect() {
  if (!MQTTAsync_isConnected(client_)) return;
  Outcome outcome;
  MQTTAsync_disconnectOptions options = MQTTAsync_disconnectOptions_initializer;
  options.timeout = 5000;
  options.onSuccess = &Outcome::succeeded;
  options.onFailure = &Outcome::failed;
  options.context = &outcome;
  if (MQTTAsync_disconnect(client_, &options) == MQTTASYNC_SUCCESS) {
    outcome.wait(std::chrono::seconds(10));
  }
}

bool PahoCClient::publish(const std::string& topic, const std::string& payload) {
  MQTTAsync_message message = MQTTAsync_message_initializer;
  message.payload = const_cast<char*>(payload.data());
  message.payloadlen = static_cast<int>(payload.size());
  message.qos = 1;
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  options.onSuccess = &PahoCClient::on_acked;
  options.context = this;
  // Bounded: at most 10 s of retries while the in-flight window is full.
  for (int attempt = 0; attempt < 10'000; ++attempt) {
    const int rc = MQTTAsync_sendMessage(client_, topic.c_str(), &message, &options);
    if (rc == MQTTASYNC_SUCCESS) return true;
    if (rc != MQTTASYNC_MAX_MESSAGES_INFLIGHT && rc != MQTTASYNC_MAX_BUFFERED_MESSAGES) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

bool PahoCClient::wait_acked(std::uint64_t count, std::chrono::seconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (acked_.load() < count && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return acked_.load() >= count;
}

int PahoCClient::on_message(void* context, char* topic, int, MQTTAsync_message* message) {
  static_cast<PahoCClient*>(context)->received_.fetch_add(1, std::memory_order_relaxed);
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  return 1;
}

void PahoCClient::on_acked(void* context, MQTTAsync_successData*) {
  static_cast<PahoCClient*>(context)->acked_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sensorgate::bench
