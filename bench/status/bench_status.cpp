// Status endpoint benchmark: what scraping costs the data path. N QoS 1 messages (default
// 300,000), one reading each, go from a real mosquitto through the whole Gateway (MQTT adapter,
// rules stage, ingest pipeline, buffer, forwarder into the kafka_cluster program) with its
// status endpoint running; in one kind of phase nothing scrapes it, in the other a scraper GETs
// /metrics and /status at 10 Hz each (what a Prometheus and an open status page do, and more).
// Figures: ingest throughput scraped / not scraped in the same run (target >= 0.98), as the
// median of the rounds' ratios and pooled over all rounds; and, since on a shared 2-core machine
// the phases' own spread is larger than 2%, the cost of one scrape measured directly (CPU of
// back-to-back scrapes of an idle gateway) as a share of the ingest's CPU at 20 scrapes a second.
//
//   bench_status [--messages N] [--rounds R]
//
// As bench_mqtt does, every phase has its own persistent session that subscribed before the
// stream was published once, so mosquitto queues the same N messages for each; a phase connects
// its session and is timed until the gateway has committed all N. Each round runs one quiet and
// one scraped phase, in alternating order from round to round (R rounds, default 5); each phase
// runs in its own forked process.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/mqtt/paho_c_client.hpp"
#include "bench/support/child_phase.hpp"
#include "core/clock.hpp"
#include "gateway/config_check.hpp"
#include "gateway/daemon/gateway.hpp"
#include "tests/support/kafka_cluster.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sensorgate::bench::PahoCClient;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::process_cpu_seconds;
using sensorgate::bench::run_in_child;

constexpr const char* kFilter = "bench/+/telemetry";
constexpr auto kGiveUp = std::chrono::minutes(5);
constexpr auto kScrapeEvery = std::chrono::milliseconds(100);  // 10 Hz per path

struct Run {
  std::string broker_url;
  std::string kafka_bootstrap;
  std::filesystem::path dir;
  std::uint64_t messages = 0;
};

struct Phase {
  std::string id;  // gateway id; the MQTT session is "<id>-plant"
  bool scraped = false;
  PhaseFigures figures;
  std::uint64_t scrapes = 0;
};

bool publish_stream(const Run& run, PhaseFigures& figures) {
  PahoCClient publisher(run.broker_url, "bench-publisher");
  if (!publisher.connect()) return false;
  const auto start = Clock::now();
  const std::int64_t base_ms = 1'763'856'000'000;
  for (std::uint64_t i = 0; i < run.messages; ++i) {
    const std::string topic = "bench/dev-" + std::to_string(i % 100) + "/telemetry";
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

std::string config_yaml(const Run& run, const Phase& phase, std::uint16_t http_port) {
  return "gateway: {id: " + phase.id + ", data_dir: " + (run.dir / phase.id).string() +
         "}\n"
         "kafka: {brokers: '" +
         run.kafka_bootstrap +
         "'}\n"
         "adapters:\n"
         "  - name: plant\n"
         "    type: mqtt\n"
         "    url: " +
         run.broker_url +
         "\n"
         "    subscriptions:\n"
         "      - {filter: '" +
         kFilter +
         "', device: '{1}', payload: json, metrics: {temp: {field: t, unit: C}},\n"
         "         timestamp: {field: ts, unit: ms}}\n"
         "rules:\n"
         "  - {name: hot, match: {metric: temp}, when: value > 90}\n"
         "http: {listen: '127.0.0.1:" +
         std::to_string(http_port) + "'}\n";
}

// GETs /metrics and /status every 100 ms each until `stop`; counts the answers that were 200.
void scrape(std::uint16_t port, const std::atomic<bool>& stop, std::uint64_t& scrapes) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  auto next = Clock::now();
  while (!stop.load()) {
    for (const char* path : {"/metrics", "/status"}) {
      const auto answer = client.Get(path);
      if (answer && answer->status == 200 && !answer->body.empty()) ++scrapes;
    }
    next += kScrapeEvery;
    std::this_thread::sleep_until(next);
  }
}

// One phase: the gateway runs until it has committed every message of the stream.
bool run_phase(const Run& run, Phase& phase) {
  const std::uint16_t port = sensorgate::testing::free_tcp_port();
  std::filesystem::create_directories(run.dir / phase.id);
  const auto file = run.dir / (phase.id + ".yaml");
  auto outcome = sensorgate::gateway::load_checked_config_text(config_yaml(run, phase, port), file);
  if (!outcome.ok()) {
    for (const auto& diagnostic : outcome.diagnostics) {
      std::fprintf(stderr, "%s\n", diagnostic.to_string().c_str());
    }
    return false;
  }
  sensorgate::SystemClock clock;
  auto created = sensorgate::gateway::Gateway::create(std::move(*outcome.config), clock);
  if (!created.ok()) return false;
  sensorgate::gateway::Gateway& gateway = *created.value();
  std::atomic<bool> stop_scraping{false};
  std::uint64_t scrapes = 0;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  if (!gateway.start().ok()) return false;
  std::thread scraper;
  if (phase.scraped) scraper = std::thread([&] { scrape(port, stop_scraping, scrapes); });
  const auto give_up = start + kGiveUp;
  bool all = false;
  while (!all && Clock::now() < give_up) {
    all = gateway.snapshot().readings_committed >= run.messages;
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  phase.figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  phase.figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  stop_scraping = true;
  if (scraper.joinable()) scraper.join();
  const auto snapshot = gateway.snapshot();
  (void)gateway.stop();
  phase.scrapes = scrapes;
  return all && snapshot.adapters.at(0).counters.rejected.empty();
}

constexpr int kCostScrapes = 2000;

// The gateway idle with its status endpoint: kCostScrapes GETs, alternating /metrics and
// /status, back to back; the CPU time of the process (scraper and server) and the wall time.
bool measure_scrape(const Run& run, PhaseFigures& figures) {
  const std::uint16_t port = sensorgate::testing::free_tcp_port();
  const Phase phase{"scrape-cost", true, {}, 0};
  std::filesystem::create_directories(run.dir / phase.id);
  auto outcome = sensorgate::gateway::load_checked_config_text(config_yaml(run, phase, port),
                                                               run.dir / (phase.id + ".yaml"));
  if (!outcome.ok()) return false;
  sensorgate::SystemClock clock;
  auto created = sensorgate::gateway::Gateway::create(std::move(*outcome.config), clock);
  if (!created.ok() || !created.value()->start().ok()) return false;
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  int answered = 0;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  for (int i = 0; i < kCostScrapes; ++i) {
    const auto answer = client.Get(i % 2 == 0 ? "/metrics" : "/status");
    answered += answer && answer->status == 200;
  }
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  (void)created.value()->stop();
  return answered == kCostScrapes;
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.messages = 150'000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0) {
      run.messages = std::strtoull(argv[i + 1], nullptr, 10);
    }
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  sensorgate::testing::TempDir dir;
  sensorgate::testing::Mosquitto broker;
  sensorgate::testing::KafkaCluster cluster;
  run.broker_url = broker.url();
  run.kafka_bootstrap = cluster.bootstrap();
  run.dir = dir.path();
  std::vector<Phase> phases;
  for (int r = 0; r < rounds; ++r) {
    Phase quiet{"quiet-" + std::to_string(r), false, {}, 0};
    Phase scraped{"scraped-" + std::to_string(r), true, {}, 0};
    phases.push_back(r % 2 == 0 ? quiet : scraped);
    phases.push_back(r % 2 == 0 ? scraped : quiet);
  }
  std::printf(
      "bench_status: %llu QoS 1 messages (1 reading each) per phase, %d rounds, "
      "scraping /metrics and /status at 10 Hz each in the scraped phases\n",
      static_cast<unsigned long long>(run.messages), rounds);

  const PhaseFigures subscribed = run_in_child([&](PhaseFigures&) {
    for (const Phase& phase : phases) {
      PahoCClient client(run.broker_url, phase.id + "-plant");
      if (!client.connect() || !client.subscribe(kFilter, 1)) return false;
    }
    return true;
  });
  const PhaseFigures published =
      run_in_child([&](PhaseFigures& figures) { return publish_stream(run, figures); });
  if (!subscribed.ok || !published.ok) {
    std::fprintf(stderr, "bench_status: cannot set up the stream:\n%s\n", broker.log().c_str());
    return 1;
  }

  double quiet_seconds = 0, scraped_seconds = 0, quiet_cpu = 0;
  std::vector<double> round_ratios;
  double round_quiet = 0, round_scraped = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    Phase& phase = phases[i];
    const PhaseFigures figures = run_in_child([&](PhaseFigures& out) {
      const bool ok = run_phase(run, phase);
      out = phase.figures;
      // The parent's PhaseFigures has no field for it: the child prints its count.
      if (phase.scraped) {
        std::printf("  %-10s scrapes answered 200: %llu\n", phase.id.c_str(),
                    static_cast<unsigned long long>(phase.scrapes));
        std::fflush(stdout);
      }
      return ok;
    });
    if (!figures.ok) {
      std::fprintf(stderr, "bench_status: phase %s failed\n", phase.id.c_str());
      return 1;
    }
    std::printf("  %-10s %9.0f readings/s  %6.2f s CPU  peak RSS %6.1f MiB\n", phase.id.c_str(),
                static_cast<double>(run.messages) / figures.seconds, figures.cpu_seconds,
                static_cast<double>(figures.peak_rss_kib) / 1024);
    (phase.scraped ? scraped_seconds : quiet_seconds) += figures.seconds;
    (phase.scraped ? round_scraped : round_quiet) = figures.seconds;
    if (!phase.scraped) quiet_cpu += figures.cpu_seconds;
    if (i % 2 == 1) round_ratios.push_back(round_quiet / round_scraped);
  }
  const PhaseFigures scrape_cost =
      run_in_child([&](PhaseFigures& out) { return measure_scrape(run, out); });
  if (!scrape_cost.ok) {
    std::fprintf(stderr, "bench_status: the scrape cost phase failed\n");
    return 1;
  }
  std::sort(round_ratios.begin(), round_ratios.end());
  const double median = round_ratios[round_ratios.size() / 2];
  const double per_scrape_cpu = scrape_cost.cpu_seconds / kCostScrapes;
  const double ingest_cpu_per_s = quiet_cpu / quiet_seconds;
  std::printf(
      "ingest throughput scraped/quiet: median of rounds %.3f, pooled %.3f "
      "(target >= 0.98)\n",
      median, quiet_seconds / scraped_seconds);
  std::printf(
      "one scrape (client and server, /metrics and /status alike): %.0f us CPU, %.0f us "
      "wall; at 20 a second %.2f%% of the ingest's %.2f CPU seconds per second\n",
      per_scrape_cpu * 1e6, scrape_cost.seconds * 1e6 / kCostScrapes,
      100 * 20 * per_scrape_cpu / ingest_cpu_per_s, ingest_cpu_per_s);
  return 0;
}
