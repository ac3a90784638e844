// The MQTT adapter against a real mosquitto started by each test on a free loopback port.
#include "adapters/mqtt/mqtt_adapter.hpp"

#include <MQTTAsync.h>
#include <mqtt/async_client.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "adapters/mqtt/paho_trace.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

// Paho C 1.3.12 leaks about 500 bytes per MQTT 5 client (no frame of ours in the traces);
// LeakSanitizer reads this hook in sanitizer builds and ignores it otherwise.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpaho-mqtt3as.so\n";
}

namespace sensorgate::mqtt {
namespace {

using adapters::RejectReason;
using testing::Mosquitto;
using testing::wait_until;
using namespace std::chrono_literals;

constexpr auto kTimeout = 20s;

// A ReadingSink that keeps what it is given.
class CollectingSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override {
    return submit(std::move(readings));
  }
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override {
    std::lock_guard lock(mutex_);
    for (Reading& reading : readings) readings_.push_back(std::move(reading));
    return Status<adapters::IngestError>::success();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return readings_.size();
  }
  std::vector<Reading> readings() const {
    std::lock_guard lock(mutex_);
    return readings_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Reading> readings_;
};

// A ReadingSink whose submit() blocks until open() (or 20 s pass), like a full ingest queue.
class GatedSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override {
    return submit(std::move(readings));
  }
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override {
    {
      std::unique_lock lock(mutex_);
      ++blocked_;
      opened_.wait_for(lock, 20s, [this] { return open_; });
      --blocked_;
    }
    return inner_.submit(std::move(readings));
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  int blocked() const {
    std::lock_guard lock(mutex_);
    return blocked_;
  }
  const CollectingSink& inner() const { return inner_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  int blocked_ = 0;
  CollectingSink inner_;
};

// A plain Paho client playing the sensors (publisher) or an alert consumer (subscriber).
class TestClient {
 public:
  TestClient(const std::string& url, const std::string& id) : client_(url, id) {
    client_.set_message_callback([this](::mqtt::const_message_ptr message) {
      std::lock_guard lock(mutex_);
      received_.push_back(message);
    });
    ::mqtt::connect_options options;
    options.set_clean_session(true);
    client_.connect(options)->wait();
  }
  ~TestClient() {
    try {
      client_.disconnect()->wait();
    } catch (const ::mqtt::exception&) {
      // The broker may be gone already; nothing to clean up then.
    }
  }

  // Publishes at QoS 1 and waits for the broker's PUBACK.
  void publish(const std::string& topic, const std::string& payload) {
    client_.publish(topic, payload.data(), payload.size(), 1, false)->wait();
  }
  void subscribe(const std::string& filter) { client_.subscribe(filter, 1)->wait(); }
  std::vector<::mqtt::const_message_ptr> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  ::mqtt::async_client client_;
  std::mutex mutex_;
  std::vector<::mqtt::const_message_ptr> received_;
};

// plant/<device>/<room>/telemetry {"seq":N,"t":20.5,"ts":<ms>} -> <device>/seq, <device>/temp.
mqtt::Subscription telemetry_subscription() {
  mqtt::Subscription sub;
  sub.filter = "plant/+/+/telemetry";
  sub.device = "{1}";
  sub.metrics = {{"seq", "seq", ""}, {"temp", "t", "C"}};
  sub.timestamp.field = "ts";
  sub.topic = "sensors.climate";
  sub.tags = {{"room", "{2}"}};
  return sub;
}

mqtt::MqttSettings settings_for(const std::string& url, const std::string& client_id,
                                int mqtt_version = 4) {
  mqtt::MqttSettings settings;
  settings.url = url;
  settings.client_id = client_id;
  settings.mqtt_version = mqtt_version;
  settings.reconnect_min = 100ms;
  settings.reconnect_max = 400ms;
  settings.subscriptions = {telemetry_subscription()};
  return settings;
}

std::string telemetry_topic(int seq) {
  return "plant/dev-" + std::to_string(seq % 5) + "/hall/telemetry";
}

std::string telemetry_payload(int seq) {
  return R"({"seq":)" + std::to_string(seq) + R"(,"t":20.5,"ts":)" +
         std::to_string(1'700'000'000'000LL + seq) + "}";
}

void publish_telemetry(TestClient& publisher, int from, int to) {
  for (int seq = from; seq < to; ++seq)
    publisher.publish(telemetry_topic(seq), telemetry_payload(seq));
}

// The distinct `seq` readings the sink holds.
std::set<int> seqs_of(const CollectingSink& sink) {
  std::set<int> out;
  for (const Reading& reading : sink.readings()) {
    if (reading.metric == "seq") out.insert(static_cast<int>(std::get<double>(reading.value)));
  }
  return out;
}

std::set<int> range_set(int from, int to) {
  std::set<int> out;
  for (int i = from; i < to; ++i) out.insert(i);
  return out;
}

bool is_up(const MqttAdapter& adapter) {
  return adapter.health().up;
}

// Connects once with `settings` and stops: the broker keeps the persistent session (and its
// subscription) for the client id, and queues what is published until the next connect.
void leave_session_behind(const mqtt::MqttSettings& settings, const Clock& clock) {
  CollectingSink sink;
  MqttAdapter adapter("plant", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  adapter.stop(2s);
}

// The seq readings in the order the sink got them.
std::vector<int> seq_order(const CollectingSink& sink) {
  std::vector<int> out;
  for (const Reading& reading : sink.readings()) {
    if (reading.metric == "seq") out.push_back(static_cast<int>(std::get<double>(reading.value)));
  }
  return out;
}

TEST_CASE("the adapter hands the mapped readings of QoS 1 messages to the sink") {
  const int version = GENERATE(4, 5);
  // on_receive: mapped in the callback at first, then (500 messages at once) by the map thread;
  // and every message by the map thread.
  const int ack = GENERATE(0, 1, 2);
  INFO("mqtt_version " << version << ", ack (after_commit, on_receive, on_receive mapping on "
                       << "its thread only) " << ack);
  Mosquitto broker;
  CollectingSink sink;
  SystemClock clock;
  mqtt::MqttSettings settings = settings_for(broker.url(), "gw-plant", version);
  settings.ack = ack == 0 ? mqtt::AckMode::kAfterCommit : mqtt::AckMode::kOnReceive;
  if (ack == 2) settings.map_thread_from_rate = 0;
  MqttAdapter adapter("plant", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  CHECK(adapter.health().detail == "connected to " + broker.url());

  constexpr int kMessages = 500;
  TestClient publisher(broker.url(), "sensors");
  publish_telemetry(publisher, 0, kMessages);
  REQUIRE(wait_until([&] { return sink.size() >= 2 * kMessages; }, kTimeout));
  CHECK(sink.size() == 2 * kMessages);
  CHECK(seqs_of(sink) == range_set(0, kMessages));
  // One publisher at QoS 1: in the order published, also through on_receive's map thread.
  const std::vector<int> order = seq_order(sink);
  CHECK(std::is_sorted(order.begin(), order.end()));

  const std::vector<Reading> readings = sink.readings();
  auto temp = std::find_if(readings.begin(), readings.end(), [](const Reading& r) {
    return r.metric == "temp" && r.ts_ns == 1'700'000'000'007'000'000;
  });
  REQUIRE(temp != readings.end());
  CHECK(temp->device == "dev-2");
  CHECK(std::get<double>(temp->value) == 20.5);
  CHECK(temp->unit == "C");
  CHECK(temp->topic == "sensors.climate");
  CHECK(temp->tags == Tags{{"room", "hall"}});

  const adapters::AdapterCounters counters = adapter.counters();
  CHECK(counters.messages_received == kMessages);
  CHECK(counters.readings_received == 2 * kMessages);
  CHECK(counters.rejected.empty());
  adapter.stop(2s);
  CHECK_FALSE(is_up(adapter));
}

// Paho trace lines below error level, counted by the trace callback (Paho's own threads).
std::atomic<int> g_paho_trace_lines{0};

void count_paho_trace(enum MQTTASYNC_TRACE_LEVELS level, char*) {
  if (level < MQTTASYNC_TRACE_ERROR) ++g_paho_trace_lines;
}

TEST_CASE("the adapter keeps Paho from tracing every packet unless the environment asks") {
  CHECK_FALSE(paho_trace_requested(nullptr, nullptr));
  CHECK_FALSE(paho_trace_requested("", ""));
  CHECK(paho_trace_requested("ON", nullptr));
  CHECK(paho_trace_requested(nullptr, "PROTOCOL"));
  REQUIRE(std::getenv("MQTT_C_CLIENT_TRACE") == nullptr);
  REQUIRE(std::getenv("MQTT_C_CLIENT_TRACE_LEVEL") == nullptr);

  Mosquitto broker;
  CollectingSink sink;
  SystemClock clock;
  MqttAdapter adapter("plant", settings_for(broker.url(), "gw-plant"), clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  // The callback sees every line Paho formats (it formats only what its level lets through).
  MQTTAsync_setTraceCallback(&count_paho_trace);
  TestClient publisher(broker.url(), "sensors");
  publish_telemetry(publisher, 0, 50);
  REQUIRE(wait_until([&] { return sink.size() >= 100; }, kTimeout));
  CHECK(g_paho_trace_lines.load() == 0);

  // The same probe sees the lines once the trace is on, as Paho's default level has it.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_PROTOCOL);
  publish_telemetry(publisher, 50, 60);
  REQUIRE(wait_until([&] { return sink.size() >= 120; }, kTimeout));
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  MQTTAsync_setTraceCallback(nullptr);
  CHECK(g_paho_trace_lines.load() > 0);
  adapter.stop(2s);
}

TEST_CASE("malformed payloads are counted by reason while good ones flow") {
  Mosquitto broker;
  CollectingSink sink;
  SystemClock clock;
  mqtt::MqttSettings settings = settings_for(broker.url(), "gw-mixed");
  mqtt::Subscription numbers;
  numbers.filter = "num/+/+";
  numbers.payload = mqtt::PayloadFormat::kNumber;
  settings.subscriptions.push_back(numbers);
  MqttAdapter adapter("mixed", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));

  TestClient publisher(broker.url(), "sensors");
  int good = 0;
  for (int i = 0; i < 400; ++i) {
    switch (i % 8) {
      case 0:
        publisher.publish(telemetry_topic(i), R"({"seq":1,"t":)");  // bad_json
        break;
      case 1:
        publisher.publish(telemetry_topic(i), R"({"x":1,"ts":5})");  // missing_field
        break;
      case 2:
        publisher.publish("num/dev-1/pressure", "eight");  // bad_number
        break;
      case 3:
        publisher.publish(telemetry_topic(i), R"({"seq":1,"ts":"soon"})");  // bad_timestamp
        break;
      case 4:
        publisher.publish("num/dev-1/pressure", std::to_string(i));
        ++good;
        break;
      default:
        publisher.publish(telemetry_topic(i), telemetry_payload(i));
        good += 2;
        break;
    }
  }
  REQUIRE(wait_until([&] { return adapter.counters().messages_received == 400; }, kTimeout));
  const adapters::AdapterCounters counters = adapter.counters();
  CHECK(counters.rejected ==
        std::map<RejectReason, std::uint64_t>{{RejectReason::kBadJson, 50},
                                              {RejectReason::kMissingField, 50},
                                              {RejectReason::kBadNumber, 50},
                                              {RejectReason::kBadTimestamp, 50}});
  CHECK(counters.readings_received == static_cast<std::uint64_t>(good));
  CHECK(sink.size() == static_cast<std::size_t>(good));
  CHECK(is_up(adapter));
}

TEST_CASE("messages published while the adapter is stopped arrive when it starts again") {
  const int version = GENERATE(4, 5);
  INFO("mqtt_version " << version);
  Mosquitto broker;
  SystemClock clock;
  const mqtt::MqttSettings settings = settings_for(broker.url(), "gw-session", version);
  leave_session_behind(settings, clock);
  {
    TestClient publisher(broker.url(), "sensors");
    publish_telemetry(publisher, 0, 300);
  }
  CollectingSink sink;
  MqttAdapter second("plant", settings, clock);
  REQUIRE(second.start(sink).ok());
  REQUIRE(wait_until([&] { return seqs_of(sink).size() == 300; }, kTimeout));
  CHECK(seqs_of(sink) == range_set(0, 300));
}

// A ReadingSink that takes `delay` per commit, like a slow disk.
class SlowSink final : public adapters::ReadingSink {
 public:
  explicit SlowSink(std::chrono::milliseconds delay) : delay_(delay) {}
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override {
    std::this_thread::sleep_for(delay_);
    return inner_.submit(std::move(readings));
  }
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override {
    return submit_and_wait(std::move(readings));
  }
  const CollectingSink& inner() const { return inner_; }

 private:
  const std::chrono::milliseconds delay_;
  CollectingSink inner_;
};

TEST_CASE("a session backlog committed slowly does not hold the connect back") {
  // The broker resends the session's messages right after CONNACK, and Paho runs the callback
  // that waits for each commit under its global mutex: confirming the subscriptions again can
  // take longer than any timeout. The session keeps them, so the adapter is up at once.
  Mosquitto broker;
  SystemClock clock;
  const mqtt::MqttSettings settings = settings_for(broker.url(), "gw-slow-session");
  leave_session_behind(settings, clock);
  constexpr int kMessages = 300;  // 300 x 50 ms: 15 s, beyond the 10 s operation timeout
  {
    TestClient publisher(broker.url(), "sensors");
    publish_telemetry(publisher, 0, kMessages);
  }
  SlowSink sink(50ms);
  MqttAdapter second("plant", settings, clock);
  REQUIRE(second.start(sink).ok());
  CHECK(wait_until([&] { return is_up(second); }, 5s));
  REQUIRE(wait_until([&] { return seqs_of(sink.inner()).size() == kMessages; }, 40s));
  CHECK(seqs_of(sink.inner()) == range_set(0, kMessages));
  CHECK(is_up(second));
}

// Publishes at QoS 1 with mosquitto_pub in its own process. Needed where the adapter's callback
// blocks: Paho C runs one receive thread for every client of a process, so a Paho publisher in
// the test would wait for its PUBACK behind the blocked callback.
void publish_with_cli(const Mosquitto& broker, const std::string& topic,
                      const std::string& payload) {
  testing::Subprocess publisher({"mosquitto_pub", "-h", "127.0.0.1", "-p",
                                 std::to_string(broker.port()), "-q", "1", "-t", topic, "-m",
                                 payload});
  const std::optional<int> status = publisher.wait(10s);
  REQUIRE(status);
  REQUIRE(testing::exit_code_of(*status) == 0);
}

TEST_CASE("a sink that blocks holds messages back without losing any") {
  Mosquitto broker;
  GatedSink sink;
  SystemClock clock;
  MqttAdapter adapter("plant", settings_for(broker.url(), "gw-gated"), clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  constexpr int kMessages = 50;
  for (int seq = 0; seq < kMessages; ++seq) {
    publish_with_cli(broker, telemetry_topic(seq), telemetry_payload(seq));
  }
  REQUIRE(wait_until([&] { return sink.blocked() == 1; }, kTimeout));
  CHECK(sink.inner().size() == 0);
  CHECK(adapter.counters().messages_received == 1);
  sink.open();
  REQUIRE(wait_until([&] { return seqs_of(sink.inner()).size() == kMessages; }, kTimeout));
  CHECK(seqs_of(sink.inner()) == range_set(0, kMessages));
}

TEST_CASE(
    "with ack: on_receive a blocked sink does not hold Paho back, and stop hands on all it took") {
  Mosquitto broker;
  GatedSink sink;
  SystemClock clock;
  mqtt::MqttSettings settings = settings_for(broker.url(), "gw-gated-on-receive");
  settings.ack = mqtt::AckMode::kOnReceive;
  settings.map_thread_from_rate = 0;  // every message through the map thread
  MqttAdapter adapter("plant", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  constexpr int kMessages = 50;
  TestClient publisher(broker.url(), "sensors");
  publish_telemetry(publisher, 0, kMessages);
  // The map thread waits in the sink with the first message; the callback keeps taking (and
  // acknowledging) the others into the received queue.
  REQUIRE(wait_until([&] { return adapter.counters().messages_received == kMessages; }, kTimeout));
  CHECK(sink.blocked() == 1);
  CHECK(sink.inner().size() == 0);
  std::thread stopping([&] { adapter.stop(5s); });
  std::this_thread::sleep_for(200ms);  // stop() now waits for the map thread in the sink
  sink.open();
  stopping.join();
  CHECK(seqs_of(sink.inner()) == range_set(0, kMessages));
  CHECK(adapter.counters().readings_received == 2 * kMessages);
  CHECK(adapter.counters().rejected.empty());
}

TEST_CASE("after a broker restart the adapter reconnects and gets what was queued meanwhile") {
  Mosquitto broker({.persistence = true});
  CollectingSink sink;
  SystemClock clock;
  mqtt::MqttSettings settings = settings_for(broker.url(), "gw-restart");
  // Long enough that the second batch is published while the adapter is still away.
  // (4 s: publishing 100 messages one ack at a time takes well under that, even under ASan on a
  // loaded machine.)
  settings.reconnect_min = 4s;
  settings.reconnect_max = 8s;
  MqttAdapter adapter("plant", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));

  {
    TestClient publisher(broker.url(), "sensors");
    publish_telemetry(publisher, 0, 300);
  }
  broker.stop();
  REQUIRE(wait_until([&] { return !is_up(adapter); }, kTimeout));
  broker.start();
  {
    TestClient publisher(broker.url(), "sensors");
    publish_telemetry(publisher, 300, 400);
  }
  // The second batch was queued by the broker for the absent adapter's session.
  REQUIRE_FALSE(is_up(adapter));
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  REQUIRE(wait_until([&] { return seqs_of(sink).size() == 400; }, kTimeout));
  CHECK(seqs_of(sink) == range_set(0, 400));
}

TEST_CASE("an adapter started before its broker connects once the broker is there") {
  const std::uint16_t port = testing::free_tcp_port();
  const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
  CollectingSink sink;
  SystemClock clock;
  MqttAdapter adapter("plant", settings_for(url, "gw-early"), clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(
      wait_until([&] { return adapter.health().detail.starts_with("cannot connect"); }, kTimeout));
  CHECK_FALSE(is_up(adapter));

  Mosquitto broker({.port = port});
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  TestClient publisher(broker.url(), "sensors");
  publish_telemetry(publisher, 0, 10);
  REQUIRE(wait_until([&] { return sink.size() == 20; }, kTimeout));
}

TEST_CASE("publish reaches a subscriber of the broker") {
  Mosquitto broker;
  CollectingSink sink;
  SystemClock clock;
  MqttAdapter adapter("plant", settings_for(broker.url(), "gw-alerts"), clock);
  const Status<PublishError> early = adapter.publish("alerts/boiler-1", "{}");
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code == PublishError::kNotConnected);

  TestClient consumer(broker.url(), "alert-consumer");
  consumer.subscribe("alerts/#");
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  REQUIRE(adapter.publish("alerts/boiler-1", R"({"rule":"overpressure"})").ok());
  REQUIRE(wait_until([&] { return consumer.received().size() == 1; }, kTimeout));
  const auto message = consumer.received().front();
  CHECK(message->get_topic() == "alerts/boiler-1");
  CHECK(message->to_string() == R"({"rule":"overpressure"})");
  CHECK(message->get_qos() == 1);
  CHECK_FALSE(message->is_retained());
}

TEST_CASE("stop returns within its deadline") {
  Mosquitto broker;
  CollectingSink sink;
  SystemClock clock;
  MqttAdapter adapter("plant", settings_for(broker.url(), "gw-stop"), clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  const auto start = std::chrono::steady_clock::now();
  adapter.stop(500ms);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(adapter.health().detail == "stopped");
}

// A ReadingSink that refuses every commit while refusing() (as a buffer at its cap with
// on_full: reject does), remembering the seq readings it refused, and keeps what it takes.
class RefusingSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override {
    {
      std::lock_guard lock(mutex_);
      if (refusing_) {
        for (const Reading& reading : readings) {
          if (reading.metric == "seq") refused_.push_back(std::get<double>(reading.value));
        }
        return make_error(adapters::IngestError::kFull, "buffer is full");
      }
    }
    return inner_.submit(std::move(readings));
  }
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override {
    return submit_and_wait(std::move(readings));
  }
  void stop_refusing() {
    std::lock_guard lock(mutex_);
    refusing_ = false;
  }
  std::vector<double> refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  const CollectingSink& inner() const { return inner_; }

 private:
  mutable std::mutex mutex_;
  bool refusing_ = true;
  std::vector<double> refused_;
  CollectingSink inner_;
};

TEST_CASE(
    "with ack: after_commit a message the sink cannot commit is not acknowledged: the "
    "broker resends it until it is committed") {
  Mosquitto broker;
  RefusingSink sink;
  SystemClock clock;
  mqtt::MqttSettings settings = settings_for(broker.url(), "gw-refused");
  settings.keepalive = 1s;  // the callback gives up after 250 ms
  MqttAdapter adapter("plant", settings, clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  publish_with_cli(broker, telemetry_topic(7), telemetry_payload(7));
  // Refused, the connection dropped before the PUBACK could leave, resent after the reconnect.
  REQUIRE(wait_until([&] { return sink.refused().size() >= 2; }, kTimeout));
  CHECK(sink.refused()[0] == 7);
  CHECK(sink.refused()[1] == 7);
  CHECK(sink.inner().size() == 0);
  sink.stop_refusing();
  REQUIRE(wait_until([&] { return seqs_of(sink.inner()) == std::set<int>{7}; }, kTimeout));
  REQUIRE(wait_until([&] { return is_up(adapter); }, kTimeout));
  // Nothing counted as lost: the broker held the message.
  CHECK(adapter.counters().rejected.empty());
  CHECK(adapter.counters().readings_received == 2);
}

TEST_CASE("with ack: after_commit rejected and committed messages are both acknowledged") {
  Mosquitto broker;
  SystemClock clock;
  const mqtt::MqttSettings settings = settings_for(broker.url(), "gw-acked");
  {
    CollectingSink sink;
    MqttAdapter first("plant", settings, clock);
    REQUIRE(first.start(sink).ok());
    REQUIRE(wait_until([&] { return is_up(first); }, kTimeout));
    TestClient publisher(broker.url(), "sensors");
    publisher.publish(telemetry_topic(1), R"({"seq":1,"t":)");  // bad_json
    publish_telemetry(publisher, 2, 3);
    REQUIRE(wait_until([&] { return first.counters().messages_received == 2; }, kTimeout));
    CHECK(first.counters().rejected ==
          std::map<RejectReason, std::uint64_t>{{RejectReason::kBadJson, 1}});
    CHECK(seqs_of(sink) == std::set<int>{2});
    first.stop(2s);
  }
  {
    TestClient publisher(broker.url(), "sensors");
    publish_telemetry(publisher, 3, 4);  // queued for the session while it is away
  }
  // The session gets the new message only: the broker was told both earlier ones were safe.
  CollectingSink sink;
  MqttAdapter second("plant", settings, clock);
  REQUIRE(second.start(sink).ok());
  REQUIRE(wait_until([&] { return seqs_of(sink) == std::set<int>{3}; }, kTimeout));
  CHECK(second.counters().messages_received == 1);
}

TEST_CASE("the poison guard counts a message begun and never finished across restarts") {
  testing::TempDir dir;
  const auto file = dir.path() / "plant.inflight";
  {
    auto guard = PoisonGuard::open(file);
    REQUIRE(guard.ok());
    CHECK(guard->left_by_last_run() == 0);
    CHECK(guard->begin("t/1", "fine") == 1);
    guard->finish();
    CHECK(guard->begin("t/1", "deadly") == 1);  // the process "dies" here: never finished
  }
  {
    auto guard = PoisonGuard::open(file);
    REQUIRE(guard.ok());
    CHECK(guard->left_by_last_run() == 1);
    CHECK(guard->begin("t/1", "deadly") == 2);  // resent by the broker, dies again
  }
  {
    auto guard = PoisonGuard::open(file);
    REQUIRE(guard.ok());
    CHECK(guard->left_by_last_run() == 2);
    CHECK(guard->begin("t/1", "deadly") > PoisonGuard::kMaxAttempts);  // poison now
    guard->finish();
  }
  {
    auto guard = PoisonGuard::open(file);
    REQUIRE(guard.ok());
    CHECK(guard->left_by_last_run() == 0);
    CHECK(guard->begin("t/1", "deadly") == 1);
  }
  {
    // Another message first after a restart clears the suspect.
    auto guard = PoisonGuard::open(file);
    REQUIRE(guard.ok());
    CHECK(guard->left_by_last_run() == 1);
    CHECK(guard->begin("t/2", "other") == 1);
    guard->finish();
    CHECK(guard->begin("t/1", "deadly") == 1);
  }
}

TEST_CASE("the poison guard says which file it cannot open and why") {
  const auto guard = PoisonGuard::open("/nonexistent-dir/plant.inflight");
  REQUIRE_FALSE(guard.ok());
  CHECK_THAT(guard.error().message, Catch::Contains("/nonexistent-dir/plant.inflight") &&
                                        Catch::Contains("No such file or directory"));
}

}  // namespace
}  // namespace sensorgate::mqtt
