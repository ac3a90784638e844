// MQTT ingest benchmark: N QoS 1 messages (default 200,000), one reading each, from a real
// mosquitto into the committed buffer through the MQTT adapter and the ingest pipeline, next to
// a plain Paho C subscriber that only counts the same stream from the same broker in the same run
// (the broker's delivery limit), as a ratio, for both acknowledgement modes: ack: on_receive
// (target >= 0.9) and ack: after_commit (one commit per message; target >= 0.6). Also CPU per
// reading and peak RSS of each, and the end-to-end rate MQTT -> buffer -> Kafka with on_receive
// (forwarder into the kafka_cluster program; target >= 0.85).
//
//   bench_mqtt [--messages N] [--devices D]
//
// The same stream for every phase: four persistent sessions (plain, two gateways, end-to-end)
// subscribe first and go away, a publisher sends the N messages once, and mosquitto queues them
// for each session. Each phase then connects its session and is timed until all N are counted
// (plain), committed (gateway) or delivered to Kafka (end to end). Each phase runs in its own
// forked process, so its VmHWM and CPU time are its own.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "adapters/mqtt/mqtt_adapter.hpp"
#include "bench/mqtt/paho_c_client.hpp"
#include "bench/support/child_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/clock.hpp"
#include "gateway/daemon/ingest.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "tests/support/kafka_cluster.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sensorgate::bench::PahoCClient;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::process_cpu_seconds;
using sensorgate::bench::run_in_child;

constexpr const char* kFilter = "bench/+/telemetry";
constexpr const char* kTopic = "sensors.readings";
constexpr auto kGiveUp = std::chrono::minutes(5);

struct Run {
  std::string broker_url;
  std::string kafka_bootstrap;
  std::filesystem::path dir;
  std::uint64_t messages = 0;
};

// Publishes the stream: bench/dev-<i % devices>/telemetry {"t":<value>,"ts":<epoch ms>}.
bool publish_stream(const Run& run, int devices, PhaseFigures& figures) {
  PahoCClient publisher(run.broker_url, "bench-publisher");
  if (!publisher.connect()) return false;
  const auto start = Clock::now();
  const std::int64_t base_ms = 1'763'856'000'000;
  for (std::uint64_t i = 0; i < run.messages; ++i) {
    const std::string topic = "bench/dev-" + std::to_string(i % devices) + "/telemetry";
    const std::string payload =
        "{\"t\":" + std::to_string(20.0 + static_cast<double>(i % 500) / 100) +
        ",\"ts\":" + std::to_string(base_ms + static_cast<std::int64_t>(i)) + "}";
    if (!publisher.publish(topic, payload)) return false;
  }
  const bool acked = publisher.wait_acked(run.messages, std::chrono::seconds(120));
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  publisher.disconnect();
  return acked;
}

// Waits until `done` holds, polling every millisecond; false after kGiveUp.
bool wait_for(const std::function<bool()>& done) {
  const auto give_up = Clock::now() + kGiveUp;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The baseline: Paho C counts the messages and drops them.
bool plain_subscriber(const Run& run, PhaseFigures& figures) {
  PahoCClient subscriber(run.broker_url, "bench-plain");
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  if (!subscriber.connect()) return false;
  const bool all = wait_for([&] { return subscriber.received() >= run.messages; });
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  return all && subscriber.received() == run.messages;
}

sensorgate::mqtt::MqttSettings adapter_settings(const Run& run, const std::string& client_id,
                                                sensorgate::mqtt::AckMode ack) {
  sensorgate::mqtt::Subscription subscription;
  subscription.filter = kFilter;
  subscription.device = "{1}";
  subscription.metrics = {{"temp", "t", "C"}};
  subscription.timestamp.field = "ts";
  subscription.timestamp.unit = sensorgate::formats::TimestampUnit::kMilliseconds;
  sensorgate::mqtt::MqttSettings settings;
  settings.url = run.broker_url;
  settings.client_id = client_id;
  settings.subscriptions = {subscription};
  settings.ack = ack;
  return settings;
}

std::unique_ptr<sensorgate::buffer::Buffer> open_buffer(const std::filesystem::path& path) {
  sensorgate::buffer::Options options;  // the gateway's defaults: 10 ms / 5000-row group commits
  options.path = path;
  auto buffer = sensorgate::buffer::Buffer::open(options);
  return buffer ? std::move(*buffer) : nullptr;
}

// The gateway: MQTT adapter -> mapping -> ingest pipeline -> committed in the buffer. With
// `to_kafka`, the forwarder also drains into the cluster and the phase ends when all are there.
// `session` names the phase's MQTT session (bench-<session>) and its buffer file.
bool gateway(const Run& run, const std::string& session, sensorgate::mqtt::AckMode ack,
             bool to_kafka, PhaseFigures& figures) {
  const std::string& name = session;
  auto buffer = open_buffer(run.dir / (name + ".db"));
  if (!buffer) return false;
  sensorgate::gateway::IngestPipeline ingest(*buffer, kTopic);
  std::unique_ptr<sensorgate::kafka::Forwarder> forwarder;
  if (to_kafka) {
    sensorgate::kafka::ForwarderOptions options;
    options.gateway_id = "bench-gateway";
    options.producer.brokers = run.kafka_bootstrap;
    auto created = sensorgate::kafka::Forwarder::create(options, *buffer);
    if (!created) return false;
    forwarder = std::move(*created);
  }
  sensorgate::SystemClock clock;
  sensorgate::mqtt::MqttAdapter adapter(name, adapter_settings(run, "bench-" + name, ack), clock);
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  if (forwarder) forwarder->start();
  if (!adapter.start(ingest)) return false;
  const bool all = wait_for([&] {
    return forwarder ? forwarder->stats().delivered_total >= run.messages
                     : ingest.counters().committed >= run.messages;
  });
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  adapter.stop(std::chrono::seconds(2));
  ingest.stop(std::chrono::seconds(5));
  if (forwarder && !forwarder->stop(Clock::now() + std::chrono::seconds(10))) return false;
  const auto counters = adapter.counters();
  if (counters.messages_received != run.messages || !counters.rejected.empty()) {
    std::fprintf(stderr, "bench_mqtt: %s received %llu messages, %zu reject reasons\n",
                 name.c_str(), static_cast<unsigned long long>(counters.messages_received),
                 counters.rejected.size());
    return false;
  }
  return all && ingest.counters().committed == run.messages;
}

void print_phase(const char* what, const Run& run, const PhaseFigures& figures) {
  const double per_second = static_cast<double>(run.messages) / figures.seconds;
  std::printf("%-40s %9.0f readings/s  %5.2f us CPU/reading  peak RSS %6.1f MiB\n", what,
              per_second, figures.cpu_seconds * 1e6 / static_cast<double>(run.messages),
              static_cast<double>(figures.peak_rss_kib) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.messages = 200'000;
  int devices = 100;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0)
      run.messages = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--devices") == 0) devices = std::atoi(argv[i + 1]);
  }
  sensorgate::testing::TempDir dir;
  sensorgate::testing::Mosquitto broker;
  sensorgate::testing::KafkaCluster cluster;
  run.broker_url = broker.url();
  run.kafka_bootstrap = cluster.bootstrap();
  run.dir = dir.path();
  std::printf("bench_mqtt: %llu QoS 1 messages (1 reading each), %d devices, mosquitto %s\n",
              static_cast<unsigned long long>(run.messages), devices, run.broker_url.c_str());

  // The sessions subscribe before the stream is published, so the broker queues it for each.
  // Every use of Paho happens in a child: its threads would not survive a fork of this process.
  const PhaseFigures subscribed = run_in_child([&](PhaseFigures&) {
    for (const char* session :
         {"bench-plain", "bench-on-receive", "bench-after-commit", "bench-e2e"}) {
      PahoCClient client(run.broker_url, session);
      if (!client.connect() || !client.subscribe(kFilter, 1)) return false;
    }
    return true;
  });
  if (!subscribed.ok) {
    std::fprintf(stderr, "bench_mqtt: cannot subscribe the sessions:\n%s\n", broker.log().c_str());
    return 1;
  }
  const PhaseFigures published =
      run_in_child([&](PhaseFigures& figures) { return publish_stream(run, devices, figures); });
  if (!published.ok) {
    std::fprintf(stderr, "bench_mqtt: publishing failed:\n%s\n", broker.log().c_str());
    return 1;
  }
  std::printf("publish (queued for 4 sessions):  %9.0f messages/s (not part of the ratio)\n",
              static_cast<double>(run.messages) / published.seconds);

  const PhaseFigures plain =
      run_in_child([&](PhaseFigures& figures) { return plain_subscriber(run, figures); });
  using sensorgate::mqtt::AckMode;
  const PhaseFigures on_receive = run_in_child([&](PhaseFigures& figures) {
    return gateway(run, "on-receive", AckMode::kOnReceive, false, figures);
  });
  const PhaseFigures after_commit = run_in_child([&](PhaseFigures& figures) {
    return gateway(run, "after-commit", AckMode::kAfterCommit, false, figures);
  });
  const PhaseFigures end_to_end = run_in_child([&](PhaseFigures& figures) {
    return gateway(run, "e2e", AckMode::kOnReceive, true, figures);
  });
  if (!plain.ok || !on_receive.ok || !after_commit.ok || !end_to_end.ok) {
    std::fprintf(stderr,
                 "bench_mqtt: a phase failed (plain %d, on_receive %d, after_commit %d, end to "
                 "end %d)\n",
                 plain.ok, on_receive.ok, after_commit.ok, end_to_end.ok);
    return 1;
  }
  print_phase("plain Paho C subscriber (count):", run, plain);
  print_phase("ingest, ack: on_receive:", run, on_receive);
  print_phase("ingest, ack: after_commit:", run, after_commit);
  print_phase("end to end MQTT -> Kafka (on_receive):", run, end_to_end);
  std::printf(
      "ratio to plain: on_receive %.2f (target >= 0.90), after_commit %.2f (target >= 0.60), "
      "end to end %.2f (target >= 0.85)\n",
      plain.seconds / on_receive.seconds, plain.seconds / after_commit.seconds,
      plain.seconds / end_to_end.seconds);
  std::printf("CPU per reading against plain: on_receive %.2fx (target <= 1.30)\n",
              on_receive.cpu_seconds / plain.cpu_seconds);
  return 0;
}
