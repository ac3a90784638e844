// Kafka forwarder benchmark: drains a backlog of N rows (default 1,000,000) from the buffer into
// the kafka_cluster program, next to a plain librdkafka producer sending the same N records
// (same key, value, timestamp, headers) with the same producer settings and no buffer, in the
// same run, as a ratio (target >= 0.9). Also CPU seconds per million readings and the memory
// of the buffer's process: peak RSS while filling the backlog (appends with N rows pending) and
// while draining it (targets < 48 MiB), and RSS once the drained gateway has been idle for
// kSettle (target < 32 MiB: what a long outage leaves behind).
//
//   bench_kafka [--rows N] [--devices D] [--forwarder-only] [--delivery exactly_once]
//               [--transaction-rows N] [--real-kafka]
// --forwarder-only skips the baseline, for profiling the drain (perf record -g bench_kafka ...).
// --delivery exactly_once also drains a second, equal backlog with kafka.delivery: exactly_once
// (transactions of kafka.transaction_rows, default 10,000, or N rows) and prints its rate against
// the at_least_once drain of the same run (target >= 0.7). --real-kafka runs against a real
// 3-broker Apache Kafka cluster (tests/kafka; attached through SENSORGATE_REAL_KAFKA or started for
// the run) instead of the kafka_cluster program (librdkafka's mock cluster).
//
// Each phase runs in its own forked process, so VmHWM and CPU time are that phase's alone:
// fill (not timed against anything), plain producer, forwarder drain.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/child_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/allocator_tuning.hpp"
#include "core/reading.hpp"
#include "core/reading_json.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "gateway/kafka/producer_config.hpp"
#include "tests/kafka/real_cluster.hpp"
#include "tests/support/kafka_cluster.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::process_cpu_seconds;
using sensorgate::bench::run_in_child;
using sensorgate::buffer::Record;

constexpr const char* kGateway = "bench-gateway";
// Idle time after the drain before the settled RSS is read: the buffer's idle maintenance
// starts after one second without commits.
constexpr auto kSettle = std::chrono::seconds(5);
constexpr long kBacklogRssTargetKib = 48 * 1024;
constexpr long kSettledRssTargetKib = 32 * 1024;
// The readings topic: sensors.readings on the mock, a new one per run on a real cluster.
std::string g_topic = "sensors.readings";
std::uint32_t g_transaction_rows = 0;  // 0: the forwarder's default

Record make_record(std::size_t i, int devices) {
  sensorgate::Reading reading;
  reading.device = "hall-" + std::to_string(i % static_cast<std::size_t>(devices));
  reading.metric = i % 2 == 0 ? "temp" : "hum";
  reading.value = 20.0 + static_cast<double>(i % 1000) / 100.0;
  reading.unit = i % 2 == 0 ? "C" : "%";
  reading.ts_ns = 1'763'856'000'000'000'000 + static_cast<std::int64_t>(i) * 1'000'000;
  return Record{g_topic, reading.device, reading.ts_ns, sensorgate::encode_reading_json(reading)};
}

sensorgate::kafka::ProducerSettings producer_settings(const std::string& bootstrap) {
  sensorgate::kafka::ProducerSettings settings;
  settings.brokers = bootstrap;
  return settings;
}

bool fill(const std::filesystem::path& path, std::size_t rows, int devices) {
  sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
  sensorgate::buffer::Options options;
  options.path = path;
  options.max_bytes = sensorgate::Bytes{8ull << 30};
  auto buffer = sensorgate::buffer::Buffer::open(options);
  if (!buffer) return false;
  std::vector<Record> chunk;
  for (std::size_t i = 0; i < rows; ++i) {
    chunk.push_back(make_record(i, devices));
    if (chunk.size() == 5000 || i + 1 == rows) {
      if (!(*buffer)->append(chunk)) return false;
      chunk.clear();
    }
  }
  (*buffer)->close();
  return true;
}

// The baseline: the same records, already in memory, straight into librdkafka.
bool plain_producer(const std::string& bootstrap, std::size_t rows, int devices,
                    PhaseFigures& out) {
  std::vector<Record> records;
  records.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) records.push_back(make_record(i, devices));
  auto conf = sensorgate::kafka::build_producer_config(producer_settings(bootstrap));
  if (!conf) return false;
  std::size_t delivered = 0;
  rd_kafka_conf_set_opaque(conf->get(), &delivered);
  rd_kafka_conf_set_dr_msg_cb(conf->get(),
                              [](rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
                                if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
                                  ++*static_cast<std::size_t*>(opaque);
                              });
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf->release(), error, sizeof error);
  if (producer == nullptr) return false;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, g_topic.c_str(), nullptr);
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < rows; ++i) {
    const Record& record = records[i];
    const std::string seq = std::to_string(i + 1);
    while (true) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_TIMESTAMP(record.ts_ns / 1'000'000),
          RD_KAFKA_V_HEADER("gateway", kGateway, -1),
          RD_KAFKA_V_HEADER("seq", seq.data(), static_cast<ssize_t>(seq.size())), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
      rd_kafka_poll(producer, 10);
    }
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, 120'000);
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(producer);
  return delivered == rows;
}

bool forwarder_drain(const std::filesystem::path& path, const std::string& bootstrap,
                     std::size_t rows, sensorgate::kafka::Delivery delivery,
                     const std::string& progress_topic, PhaseFigures& out) {
  sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
  sensorgate::buffer::Options options;
  options.path = path;
  options.max_bytes = sensorgate::Bytes{8ull << 30};
  auto buffer = sensorgate::buffer::Buffer::open(options);
  if (!buffer) return false;
  sensorgate::kafka::ForwarderOptions forwarder_options;
  forwarder_options.gateway_id = kGateway;
  forwarder_options.producer = producer_settings(bootstrap);
  forwarder_options.delivery = delivery;
  forwarder_options.progress_topic = progress_topic;
  if (g_transaction_rows > 0) forwarder_options.transaction_rows = g_transaction_rows;
  auto forwarder = sensorgate::kafka::Forwarder::create(forwarder_options, **buffer);
  if (!forwarder) return false;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  (*forwarder)->start();
  const auto give_up = start + std::chrono::minutes(5);
  while ((*forwarder)->stats().delivered_total < rows && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  std::this_thread::sleep_for(kSettle);
  out.settled_rss_kib = sensorgate::bench::current_rss_kib();
  if (!(*forwarder)->stop(Clock::now() + std::chrono::seconds(10))) return false;
  (*buffer)->close();
  return (*forwarder)->stats().delivered_total == rows;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1'000'000;
  int devices = 100;
  bool forwarder_only = false;
  bool exactly_once = false;
  bool real = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--forwarder-only") == 0) forwarder_only = true;
    if (std::strcmp(argv[i], "--real-kafka") == 0) real = true;
    if (i + 1 == argc) break;
    if (std::strcmp(argv[i], "--delivery") == 0) {
      exactly_once = std::strcmp(argv[i + 1], "exactly_once") == 0;
      if (!exactly_once && std::strcmp(argv[i + 1], "at_least_once") != 0) {
        std::fprintf(stderr, "bench_kafka: --delivery at_least_once or exactly_once\n");
        return 2;
      }
    }
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--devices") == 0) devices = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--transaction-rows") == 0) {
      g_transaction_rows = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    }
  }
  sensorgate::testing::TempDir dir;
  const auto path = dir / "bench.db";
  const auto exactly_once_path = dir / "bench-exactly-once.db";
  std::string progress_topic = "_sensorgate.progress";
  std::unique_ptr<sensorgate::testing::KafkaCluster> mock;
  std::string bootstrap;
  if (real) {
    const std::string suffix = std::to_string(std::random_device{}());
    g_topic = "bench.readings." + suffix;
    progress_topic = "bench.progress." + suffix;
    sensorgate::testing::real_kafka().create_topic(g_topic, 6);
    bootstrap = sensorgate::testing::real_kafka().bootstrap();
  } else {
    mock = std::make_unique<sensorgate::testing::KafkaCluster>(
        sensorgate::testing::KafkaClusterOptions{
            3, {g_topic + ":6", "sensors.alerts:3", progress_topic + ":1"}});
    bootstrap = mock->bootstrap();
  }
  std::printf("bench_kafka: %zu rows, %d devices, %s cluster %s\n", rows, devices,
              real ? "real Apache Kafka" : "mock", bootstrap.c_str());

  const auto filled = run_in_child([&](PhaseFigures& figures) {
    const auto start = Clock::now();
    const bool ok =
        fill(path, rows, devices) && (!exactly_once || fill(exactly_once_path, rows, devices));
    figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return ok;
  });
  if (!filled.ok) {
    std::fprintf(stderr, "bench_kafka: filling the buffer failed\n");
    return 1;
  }
  std::printf("fill:      %8.0f rows/s (not part of the ratio)  peak RSS %6.1f MiB (target < 48)\n",
              static_cast<double>(rows) * (exactly_once ? 2 : 1) / filled.seconds,
              static_cast<double>(filled.peak_rss_kib) / 1024);

  PhaseFigures plain{.seconds = 1, .ok = true};
  if (!forwarder_only) {
    plain = run_in_child(
        [&](PhaseFigures& figures) { return plain_producer(bootstrap, rows, devices, figures); });
  }
  const PhaseFigures drained = run_in_child([&](PhaseFigures& figures) {
    return forwarder_drain(path, bootstrap, rows, sensorgate::kafka::Delivery::kAtLeastOnce,
                           progress_topic, figures);
  });
  PhaseFigures transactional{.seconds = 1, .ok = true};
  if (exactly_once) {
    transactional = run_in_child([&](PhaseFigures& figures) {
      return forwarder_drain(exactly_once_path, bootstrap, rows,
                             sensorgate::kafka::Delivery::kExactlyOnce, progress_topic, figures);
    });
  }
  if (!plain.ok || !drained.ok || !transactional.ok) {
    std::fprintf(stderr, "bench_kafka: a phase failed (plain %d, forwarder %d, exactly once %d)\n",
                 plain.ok, drained.ok, transactional.ok);
    return 1;
  }
  const double million = static_cast<double>(rows) / 1e6;
  const double plain_rate = static_cast<double>(rows) / plain.seconds;
  const double drain_rate = static_cast<double>(rows) / drained.seconds;
  if (!forwarder_only) {
    std::printf("plain librdkafka producer: %9.0f readings/s  %5.2f CPU s/M  peak RSS %6.1f MiB\n",
                plain_rate, plain.cpu_seconds / million,
                static_cast<double>(plain.peak_rss_kib) / 1024);
  }
  std::printf("forwarder (buffer drain):  %9.0f readings/s  %5.2f CPU s/M  peak RSS %6.1f MiB\n",
              drain_rate, drained.cpu_seconds / million,
              static_cast<double>(drained.peak_rss_kib) / 1024);
  if (!forwarder_only) {
    std::printf("ratio forwarder/plain: %.2f (target >= 0.90)", drain_rate / plain_rate);
  }
  std::printf("%sforwarder peak RSS %s 48 MiB\n", forwarder_only ? "" : "; ",
              drained.peak_rss_kib < kBacklogRssTargetKib ? "<" : ">=");
  std::printf("forwarder RSS %lld s after the drain: %.1f MiB (target < 32: %s)\n",
              static_cast<long long>(kSettle.count()),
              static_cast<double>(drained.settled_rss_kib) / 1024,
              drained.settled_rss_kib < kSettledRssTargetKib ? "met" : "not met");
  if (exactly_once) {
    const double transactional_rate = static_cast<double>(rows) / transactional.seconds;
    std::printf("forwarder exactly_once:    %9.0f readings/s  %5.2f CPU s/M  peak RSS %6.1f MiB\n",
                transactional_rate, transactional.cpu_seconds / million,
                static_cast<double>(transactional.peak_rss_kib) / 1024);
    std::printf("ratio exactly_once/at_least_once: %.2f (target >= 0.70)\n",
                transactional_rate / drain_rate);
  }
  return 0;
}
