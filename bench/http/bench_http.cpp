// HTTP ingest benchmark: N readings (default 400,000) POSTed as JSON arrays of 100 readings over
// 4 keep-alive connections, into the committed buffer through the http adapter and the ingest
// pipeline (202 only after each batch is committed), next to a bare cpp-httplib server that only
// parses the same bodies with the same parser and answers 202, in the same run, as a ratio
// (target >= 0.8). Also CPU per reading and peak RSS of each phase.
//
//   bench_http [--readings N]
//
// A third phase runs the adapter into a sink that only counts, to tell the adapter's own cost
// from the commit's. Each POST waits for its commit; the buffer commits at once for a waiting
// caller (no commit_interval), and POSTs that arrive meanwhile join the next group.
// Each phase runs in its own forked process (server and clients together, so CPU per reading
// includes the clients' share in both), so its VmHWM and CPU time are its own.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/http_adapter.hpp"
#include "adapters/http/reading_body.hpp"
#include "bench/support/ingest_phase.hpp"
#include "buffer/buffer.hpp"
#include "core/allocator_tuning.hpp"
#include "core/clock.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using sensorgate::bench::IngestTarget;
using sensorgate::bench::measure;
using sensorgate::bench::PhaseFigures;
using sensorgate::bench::print_phase;
using sensorgate::bench::run_in_child;

constexpr int kConnections = 4;
constexpr int kBatch = 100;
constexpr int kWorkers = 4;

// Batch b: readings b*100 .. b*100+99, device dev-<n % 100>, ts in epoch ms.
std::vector<std::string> make_bodies(std::uint64_t readings) {
  std::vector<std::string> bodies;
  const std::int64_t base_ms = 1'763'856'000'000;
  for (std::uint64_t first = 0; first < readings; first += kBatch) {
    std::string body = "[";
    for (std::uint64_t n = first; n < first + kBatch && n < readings; ++n) {
      if (n != first) body += ",";
      body += "{\"device\":\"dev-" + std::to_string(n % 100) +
              "\",\"metric\":\"temp\",\"value\":" + std::to_string(20.0 + (n % 500) / 100.0) +
              ",\"unit\":\"C\",\"ts\":" + std::to_string(base_ms + static_cast<std::int64_t>(n)) +
              "}";
    }
    body += "]";
    bodies.push_back(std::move(body));
  }
  return bodies;
}

// 4 keep-alive clients post every body once; false when any answer is not 202.
bool post_all(std::uint16_t port, const std::vector<std::string>& bodies) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // else Nagle and delayed ACKs cost 40 ms per request
      client.set_read_timeout(60, 0);
      for (std::size_t i = next++; i < bodies.size(); i = next++) {
        const auto result = client.Post("/v1/readings", bodies[i], "application/json");
        if (!result || result->status != 202) {
          std::fprintf(stderr, "bench_http: batch %zu answered %d\n", i,
                       result ? result->status : -1);
          ok = false;
          return;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  return ok;
}

// The baseline: cpp-httplib with as many threads, parsing each body and answering 202.
bool bare_server(const std::vector<std::string>& bodies, PhaseFigures& figures) {
  const std::uint16_t port = sensorgate::testing::free_tcp_port();
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server.set_keep_alive_max_count(10'000);
  server.set_tcp_nodelay(true);  // as the adapter does
  std::atomic<std::uint64_t> parsed{0};
  server.Post("/v1/readings", [&](const httplib::Request& request, httplib::Response& response) {
    sensorgate::http::BodyOptions options;
    options.receive_ts_ns = sensorgate::SystemClock().now_ns();
    const auto body = sensorgate::http::parse_body(request.body, options);
    parsed += body.readings.size();
    response.status = body.error_count == 0 ? 202 : 400;
    response.set_content("{\"accepted\":" + std::to_string(body.readings.size()) + "}",
                         "application/json");
  });
  if (!server.bind_to_port("127.0.0.1", port)) return false;
  std::thread listener([&] { server.listen_after_bind(); });
  const bool ok = measure(figures, [&] { return post_all(port, bodies); });
  server.stop();
  listener.join();
  return ok;
}

// The gateway: http adapter -> ingest pipeline -> buffer, 202 after each commit. Without
// `commit` the adapter hands its readings to a CountingSink instead.
bool gateway(const std::filesystem::path& dir, const std::vector<std::string>& bodies,
             std::uint64_t readings, bool commit, PhaseFigures& figures) {
  sensorgate::tune_allocator_for_gateway();  // as `sensorgate run` does, before any thread
  std::optional<sensorgate::buffer::Options> options;
  if (commit) {
    options.emplace();  // the gateway's defaults
    options->path = dir / "http.db";
  }
  const auto target = IngestTarget::create(options);
  if (!target) return false;
  sensorgate::SystemClock clock;
  sensorgate::http::HttpSettings settings;
  const std::uint16_t port = sensorgate::testing::free_tcp_port();
  settings.listen = "127.0.0.1:" + std::to_string(port);
  settings.workers = kWorkers;
  sensorgate::http::HttpAdapter adapter("bench", settings, clock);
  if (!adapter.start(target->sink()).ok()) return false;
  const bool ok = measure(figures, [&] { return post_all(port, bodies); });
  adapter.stop(std::chrono::seconds(2));
  target->stop();
  return ok && target->taken() == readings;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t readings = 400'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--readings") == 0) readings = std::strtoull(argv[i + 1], nullptr, 10);
  }
  sensorgate::testing::TempDir dir;
  const std::vector<std::string> bodies = make_bodies(readings);
  std::printf(
      "bench_http: %llu readings in %zu POSTs of %d, %d keep-alive connections, %d "
      "server threads\n",
      static_cast<unsigned long long>(readings), bodies.size(), kBatch, kConnections, kWorkers);
  const PhaseFigures bare =
      run_in_child([&](PhaseFigures& figures) { return bare_server(bodies, figures); });
  const PhaseFigures alone = run_in_child(
      [&](PhaseFigures& figures) { return gateway(dir.path(), bodies, readings, false, figures); });
  const PhaseFigures ingest = run_in_child(
      [&](PhaseFigures& figures) { return gateway(dir.path(), bodies, readings, true, figures); });
  if (!bare.ok || !alone.ok || !ingest.ok) {
    std::fprintf(stderr, "bench_http: a phase failed (bare %d, adapter %d, gateway %d)\n", bare.ok,
                 alone.ok, ingest.ok);
    return 1;
  }
  print_phase("bare cpp-httplib server (parse only):", readings, bare);
  print_phase("http adapter, no commit (counts):", readings, alone);
  print_phase("gateway http ingest (committed):", readings, ingest);
  std::printf("ratio committed/bare: %.2f (target >= 0.80); adapter without commit/bare: %.2f\n",
              bare.seconds / ingest.seconds, bare.seconds / alone.seconds);
  return 0;
}
