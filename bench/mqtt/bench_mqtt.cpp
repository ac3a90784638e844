// MQTT ingest benchmark: N QoS 1 messages (default 200,000), one reading each, from a real
// mosquitto into the committed buffer through the MQTT adapter and the ingest pipeline, next to
// a plain Paho C subscriber that only counts the same stream from the same broker in the same run
// (the broker's delivery limit), as a ratio, for both acknowledgement modes: ack: on_receive
// (target >= 0.9) and ack: after_commit (one commit per message; target >= 0.6). Also CPU per
// reading and peak RSS of each, and the end-to-end rate MQTT -> buffer -> Kafka with on_receive
// (forwarder into the kafka_cluster program; target >= 0.85).
//
//   bench_mqtt [--messages N] [--devices D] [--metrics M] [--rate-seconds S] [--linger-ms L]
//
// --metrics: readings per message (default 1). --linger-ms: the producer's linger.ms (default:
// the gateway's). --rate-seconds (default 60; 0 skips): the light load of most edge boxes, where
// CPU per message rather than peak rate is what the box can spare. A publisher process sends
// 1,000 messages/s for S seconds to the plain subscriber, then to the gateway (forwarding into
// Kafka) with ack: on_receive and with ack: after_commit; the figure is CPU seconds per 1,000
// messages (target <= 0.03). Then the plain subscriber and the gateway, connected, get no
// traffic for S seconds; the figure is the share of one core each used (target < 0.5%).
//
// The same stream for every phase: four persistent sessions (plain, two gateways, end-to-end)
// subscribe first and go away, a publisher sends the N messages once, and mosquitto queues them
// for each session. Each phase then connects its session and is timed until all N are counted
// (plain), committed (gateway) or delivered to Kafka (end to end). Each phase runs in its own
// forked process, so its VmHWM and CPU time are its own.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "adapters/mqtt/mqtt_adapter.hpp"
#include "bench/mqtt/paho_c_client.hpp"
#include "bench/support/child_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/allocator_tuning.hpp"
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

constexpr const char* kTopic = "sensors.readings";
constexpr auto kGiveUp = std::chrono::minutes(5);

struct Run {
  std::string broker_url;
  std::string kafka_bootstrap;
  std::filesystem::path dir;
  std::uint64_t messages = 0;
  int devices = 100;
  int metrics = 1;               // readings per message
  std::string prefix = "bench";  // topics <prefix>/dev-<n>/telemetry
  std::string linger_ms;         // kafka.properties linger.ms; empty: the gateway's default
  std::string filter() const { return prefix + "/+/telemetry"; }
  std::uint64_t readings() const { return messages * static_cast<std::uint64_t>(metrics); }
};

constexpr int kFixedRate = 1000;  // messages per second in the fixed-rate phases

std::string topic_of(const Run& run, std::uint64_t i) {
  return run.prefix + "/dev-" + std::to_string(i % static_cast<std::uint64_t>(run.devices)) +
         "/telemetry";
}

// {"t0":<value>,...,"t<M-1>":<value>,"ts":<epoch ms>}
std::string payload_of(const Run& run, std::uint64_t i) {
  const std::int64_t base_ms = 1'763'856'000'000;
  std::string payload = "{";
  for (int m = 0; m < run.metrics; ++m) {
    payload += "\"t" + std::to_string(m) +
               "\":" + std::to_string(20.0 + static_cast<double>((i + m) % 500) / 100) + ",";
  }
  payload += "\"ts\":" + std::to_string(base_ms + static_cast<std::int64_t>(i)) + "}";
  return payload;
}

// Publishes the stream once: message i to topic_of(i) with payload_of(i).
bool publish_stream(const Run& run, PhaseFigures& figures) {
  PahoCClient publisher(run.broker_url, "bench-publisher");
  if (!publisher.connect()) return false;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < run.messages; ++i) {
    if (!publisher.publish(topic_of(run, i), payload_of(run, i))) return false;
  }
  const bool acked = publisher.wait_acked(run.messages, std::chrono::seconds(120));
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  publisher.disconnect();
  return acked;
}

// Publishes kFixedRate messages per second for `seconds`, 10 at a time every 10 ms on a fixed
// schedule; returns the process's exit status (0: all sent and acknowledged).
int publish_at_fixed_rate(const Run& run, int seconds) {
  PahoCClient publisher(run.broker_url, "bench-rate-publisher");
  if (!publisher.connect()) return 1;
  const std::uint64_t total = static_cast<std::uint64_t>(kFixedRate) * seconds;
  constexpr std::uint64_t kPerSlice = kFixedRate / 100;
  auto next = Clock::now();
  for (std::uint64_t i = 0; i < total;) {
    for (std::uint64_t n = 0; n < kPerSlice && i < total; ++n, ++i) {
      if (!publisher.publish(topic_of(run, i), payload_of(run, i))) return 1;
    }
    next += std::chrono::milliseconds(10);
    std::this_thread::sleep_until(next);
  }
  const bool acked = publisher.wait_acked(total, std::chrono::seconds(60));
  publisher.disconnect();
  return acked ? 0 : 1;
}

// A publisher process started before the phase creates any thread, waiting for go().
class RatePublisher {
 public:
  RatePublisher(const Run& run, int seconds) {
    if (::pipe(go_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(go_[1]);
      char byte = 0;
      const bool told = ::read(go_[0], &byte, 1) == 1;
      ::_exit(told ? publish_at_fixed_rate(run, seconds) : 1);
    }
    ::close(go_[0]);
  }
  ~RatePublisher() {
    if (go_[1] >= 0) ::close(go_[1]);
    if (pid_ > 0 && !waited_) (void)finished();
  }
  RatePublisher(const RatePublisher&) = delete;
  RatePublisher& operator=(const RatePublisher&) = delete;

  bool started() const { return pid_ > 0; }
  void go() {
    const char byte = 1;
    (void)::write(go_[1], &byte, 1);
  }
  // Waits for the publisher to exit; true when it sent everything.
  bool finished() {
    int status = 0;
    waited_ = true;
    return ::waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  int go_[2] = {-1, -1};
  pid_t pid_ = -1;
  bool waited_ = false;
};

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
  subscription.filter = run.filter();
  subscription.device = "{1}";
  for (int m = 0; m < run.metrics; ++m) {
    subscription.metrics.push_back({"temp" + std::to_string(m), "t" + std::to_string(m), "C"});
  }
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

// The gateway of a phase: MQTT adapter -> mapping -> ingest pipeline -> committed in the buffer,
// and with `to_kafka` the forwarder draining into the cluster. `session` names the MQTT session
// (bench-<session>) and the buffer file.
class BenchGateway {
 public:
  BenchGateway(const Run& run, std::string session, sensorgate::mqtt::AckMode ack, bool to_kafka)
      : run_(run), session_(std::move(session)), ack_(ack), to_kafka_(to_kafka) {}
  ~BenchGateway() { stop(); }
  BenchGateway(const BenchGateway&) = delete;
  BenchGateway& operator=(const BenchGateway&) = delete;

  // Opens, creates and starts everything; false when a part cannot be made.
  bool start() {
    sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
    buffer_ = open_buffer(run_.dir / (session_ + ".db"));
    if (!buffer_) return false;
    ingest_ = std::make_unique<sensorgate::gateway::IngestPipeline>(*buffer_, kTopic);
    if (to_kafka_) {
      sensorgate::kafka::ForwarderOptions options;
      options.gateway_id = "bench-gateway";
      options.producer.brokers = run_.kafka_bootstrap;
      if (!run_.linger_ms.empty()) options.producer.properties = {{"linger.ms", run_.linger_ms}};
      auto created = sensorgate::kafka::Forwarder::create(options, *buffer_);
      if (!created) return false;
      forwarder_ = std::move(*created);
      forwarder_->start();
    }
    adapter_ = std::make_unique<sensorgate::mqtt::MqttAdapter>(
        session_, adapter_settings(run_, "bench-" + session_, ack_), clock_);
    return adapter_->start(*ingest_).ok();
  }
  bool up() const { return adapter_ && adapter_->health().up; }
  // Readings committed, or with to_kafka delivered to Kafka.
  std::uint64_t done() const {
    return forwarder_ ? forwarder_->stats().delivered_total : ingest_->counters().committed;
  }
  // Stops; true when exactly `messages` messages came in, none rejected, and all their readings
  // were committed. False when start() did not get as far as the adapter.
  bool stop_and_check(std::uint64_t messages) {
    if (!adapter_) return false;
    stop();
    const auto counters = adapter_->counters();
    if (counters.messages_received != messages || !counters.rejected.empty()) {
      std::fprintf(stderr, "bench_mqtt: %s received %llu messages, %zu reject reasons\n",
                   session_.c_str(), static_cast<unsigned long long>(counters.messages_received),
                   counters.rejected.size());
      return false;
    }
    return stopped_cleanly_ &&
           ingest_->counters().committed == messages * static_cast<std::uint64_t>(run_.metrics);
  }

 private:
  void stop() {
    if (stopped_ || !adapter_) return;
    stopped_ = true;
    adapter_->stop(std::chrono::seconds(2));
    ingest_->stop(std::chrono::seconds(5));
    if (forwarder_ && !forwarder_->stop(Clock::now() + std::chrono::seconds(10))) {
      stopped_cleanly_ = false;
    }
  }

  const Run& run_;
  const std::string session_;
  const sensorgate::mqtt::AckMode ack_;
  const bool to_kafka_;
  sensorgate::SystemClock clock_;
  std::unique_ptr<sensorgate::buffer::Buffer> buffer_;
  std::unique_ptr<sensorgate::gateway::IngestPipeline> ingest_;
  std::unique_ptr<sensorgate::kafka::Forwarder> forwarder_;
  std::unique_ptr<sensorgate::mqtt::MqttAdapter> adapter_;
  bool stopped_ = false;
  bool stopped_cleanly_ = true;
};

// The stream queued for the session: timed until all of it is committed (or in Kafka).
bool gateway(const Run& run, const std::string& session, sensorgate::mqtt::AckMode ack,
             bool to_kafka, PhaseFigures& figures) {
  BenchGateway gateway(run, session, ack, to_kafka);
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  if (!gateway.start()) return false;
  const bool all = wait_for([&] { return gateway.done() >= run.readings(); });
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  return gateway.stop_and_check(run.messages) && all;
}

// The light-load phases. kFixedRate: a publisher sends kFixedRate messages/s for `seconds`, and
// the figures cover that window until the last reading is counted (plain) or in Kafka
// (gateway). kIdle: connected and subscribed, no traffic for `seconds`.
enum class Load { kFixedRate, kIdle };

// A session of its own per phase: one left behind by an earlier phase queues nothing for it.
std::string session_suffix(
    Load load, sensorgate::mqtt::AckMode ack = sensorgate::mqtt::AckMode::kAfterCommit) {
  return std::string(load == Load::kFixedRate ? "fixed-rate" : "idle") +
         (ack == sensorgate::mqtt::AckMode::kOnReceive ? "-on-receive" : "");
}

// `receiver`: how the phase's receiver starts (before the publisher is told to go), whether it
// is up, and how many readings it has done.
struct Receiver {
  std::function<bool()> start;
  std::function<bool()> up;
  std::function<std::uint64_t()> done;
};

bool under_load(const Run& run, Load load, int seconds, const Receiver& receiver,
                PhaseFigures& figures) {
  // Forked before the receiver makes its first thread; told to go once the receiver is up.
  std::optional<RatePublisher> publisher;
  if (load == Load::kFixedRate) {
    publisher.emplace(run, seconds);
    if (!publisher->started()) return false;
  }
  if (!receiver.start() || !wait_for(receiver.up)) return false;
  std::this_thread::sleep_for(std::chrono::seconds(2));  // connection set-up is not the load
  const std::uint64_t readings = static_cast<std::uint64_t>(kFixedRate) * seconds * run.metrics;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  bool ok = true;
  if (load == Load::kFixedRate) {
    publisher->go();
    ok = publisher->finished() && wait_for([&] { return receiver.done() >= readings; });
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  }
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  return ok;
}

bool plain_under_load(const Run& run, Load load, int seconds, PhaseFigures& figures) {
  std::unique_ptr<PahoCClient> subscriber;
  bool subscribed = false;
  Receiver receiver{
      [&] {
        subscriber = std::make_unique<PahoCClient>(run.broker_url, "plain-" + session_suffix(load));
        subscribed = subscriber->connect() && subscriber->subscribe(run.filter(), 1);
        return subscribed;
      },
      [&] { return subscribed; },
      [&] { return subscriber->received() * static_cast<std::uint64_t>(run.metrics); }};
  return under_load(run, load, seconds, receiver, figures);
}

bool gateway_under_load(const Run& run, Load load, sensorgate::mqtt::AckMode ack, int seconds,
                        PhaseFigures& figures) {
  std::unique_ptr<BenchGateway> gateway;
  Receiver receiver{[&] {
                      gateway = std::make_unique<BenchGateway>(
                          run, "gateway-" + session_suffix(load, ack), ack, true);
                      return gateway->start();
                    },
                    [&] { return gateway->up(); }, [&] { return gateway->done(); }};
  const bool ok = under_load(run, load, seconds, receiver, figures);
  const std::uint64_t messages =
      load == Load::kFixedRate ? static_cast<std::uint64_t>(kFixedRate) * seconds : 0;
  return gateway && gateway->stop_and_check(messages) && ok;
}

void print_phase(const char* what, const Run& run, const PhaseFigures& figures) {
  const auto readings = static_cast<double>(run.readings());
  std::printf("%-40s %9.0f readings/s  %5.2f us CPU/reading  peak RSS %6.1f MiB\n", what,
              readings / figures.seconds, figures.cpu_seconds * 1e6 / readings,
              static_cast<double>(figures.peak_rss_kib) / 1024);
}

// CPU seconds per 1,000 messages at the fixed rate, or share of one core while idle.
void print_light_load(const char* what, Load load, int seconds, const PhaseFigures& figures) {
  if (load == Load::kFixedRate) {
    std::printf("%-40s %7.4f CPU s per 1,000 messages  peak RSS %6.1f MiB\n", what,
                figures.cpu_seconds * 1000 / (static_cast<double>(kFixedRate) * seconds),
                static_cast<double>(figures.peak_rss_kib) / 1024);
  } else {
    std::printf("%-40s %7.3f%% of one core  peak RSS %6.1f MiB\n", what,
                100 * figures.cpu_seconds / figures.seconds,
                static_cast<double>(figures.peak_rss_kib) / 1024);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.messages = 200'000;
  int rate_seconds = 60;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0)
      run.messages = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--devices") == 0) run.devices = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--metrics") == 0) run.metrics = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--linger-ms") == 0) run.linger_ms = argv[i + 1];
    if (std::strcmp(argv[i], "--rate-seconds") == 0)
      rate_seconds = std::max(0, std::atoi(argv[i + 1]));
  }
  sensorgate::testing::TempDir dir;
  sensorgate::testing::Mosquitto broker;
  sensorgate::testing::KafkaCluster cluster;
  run.broker_url = broker.url();
  run.kafka_bootstrap = cluster.bootstrap();
  run.dir = dir.path();
  std::printf("bench_mqtt: %llu QoS 1 messages (%d reading(s) each), %d devices, mosquitto %s\n",
              static_cast<unsigned long long>(run.messages), run.metrics, run.devices,
              run.broker_url.c_str());

  // The sessions subscribe before the stream is published, so the broker queues it for each.
  // Every use of Paho happens in a child: its threads would not survive a fork of this process.
  const PhaseFigures subscribed = run_in_child([&](PhaseFigures&) {
    for (const char* session :
         {"bench-plain", "bench-on-receive", "bench-after-commit", "bench-e2e"}) {
      PahoCClient client(run.broker_url, session);
      if (!client.connect() || !client.subscribe(run.filter(), 1)) return false;
    }
    return true;
  });
  if (!subscribed.ok) {
    std::fprintf(stderr, "bench_mqtt: cannot subscribe the sessions:\n%s\n", broker.log().c_str());
    return 1;
  }
  const PhaseFigures published =
      run_in_child([&](PhaseFigures& figures) { return publish_stream(run, figures); });
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
  std::fflush(stdout);
  if (rate_seconds == 0) return 0;

  // The light load, on topics of its own so that the sessions above queue none of it.
  Run light = run;
  light.prefix = "rate";
  auto plain_phase = [&](Load load) {
    return run_in_child(
        [&](PhaseFigures& phase) { return plain_under_load(light, load, rate_seconds, phase); });
  };
  auto gateway_phase = [&](Load load, AckMode ack) {
    return run_in_child([&](PhaseFigures& phase) {
      return gateway_under_load(light, load, ack, rate_seconds, phase);
    });
  };
  const PhaseFigures rate_plain = plain_phase(Load::kFixedRate);
  const PhaseFigures rate_on_receive = gateway_phase(Load::kFixedRate, AckMode::kOnReceive);
  const PhaseFigures rate_after_commit = gateway_phase(Load::kFixedRate, AckMode::kAfterCommit);
  const PhaseFigures idle_plain = plain_phase(Load::kIdle);
  const PhaseFigures idle_gateway = gateway_phase(Load::kIdle, AckMode::kAfterCommit);
  if (!rate_plain.ok || !rate_on_receive.ok || !rate_after_commit.ok || !idle_plain.ok ||
      !idle_gateway.ok) {
    std::fprintf(stderr, "bench_mqtt: a light-load phase failed\n");
    return 1;
  }
  std::printf(
      "at %d messages/s for %d s (%d reading(s) each; gateway into Kafka), target for the "
      "gateway <= 0.03 CPU s per 1,000 messages:\n",
      kFixedRate, rate_seconds, run.metrics);
  print_light_load("  plain Paho C subscriber:", Load::kFixedRate, rate_seconds, rate_plain);
  print_light_load("  gateway, ack: on_receive:", Load::kFixedRate, rate_seconds, rate_on_receive);
  print_light_load("  gateway, ack: after_commit:", Load::kFixedRate, rate_seconds,
                   rate_after_commit);
  std::printf("  CPU against plain: on_receive %.2fx, after_commit %.2fx\n",
              rate_on_receive.cpu_seconds / rate_plain.cpu_seconds,
              rate_after_commit.cpu_seconds / rate_plain.cpu_seconds);
  std::printf("idle for %d s, connected (target for the gateway < 0.5%% of one core):\n",
              rate_seconds);
  print_light_load("  plain Paho C subscriber:", Load::kIdle, rate_seconds, idle_plain);
  print_light_load("  gateway:", Load::kIdle, rate_seconds, idle_gateway);
  return 0;
}
