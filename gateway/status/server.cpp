#include "gateway/status/server.hpp"

#include <httplib.h>
#include <pthread.h>

#include "core/bearer_token.hpp"
#include "core/host_port.hpp"
#include "core/log.hpp"
#include "gateway/status/metrics_text.hpp"
#include "gateway/status/page.hpp"
#include "gateway/status/process_stats.hpp"
#include "gateway/status/status_json.hpp"

namespace sensorgate::status {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kComponent = "status";
constexpr std::size_t kServerThreads = 2;
constexpr auto kSampleEvery = 1s;
constexpr auto kStartWait = 5s;

}  // namespace

StatusServer::StatusServer(ServerOptions options, SnapshotSource source, buffer::Buffer& buffer,
                           const Clock& clock)
    : options_(std::move(options)),
      source_(std::move(source)),
      clock_(clock),
      started_ns_(clock.now_ns()),
      backlog_(buffer) {}

StatusServer::~StatusServer() {
  stop();
}

StatusReport StatusServer::report() {
  StatusReport report;
  report.version = options_.version;
  report.now_ns = clock_.now_ns();
  report.started_ns = started_ns_;
  report.gateway = source_();
  report.backlog = backlog_.get();
  report.readings_per_s = history_.readings_per_s();
  report.pending_history = history_.pending();
  report.recent_rejects = history_.recent_rejects(report.gateway);
  report.process = read_process_stats();
  report.health = judge_health(report.gateway, std::chrono::steady_clock::now());
  return report;
}

Status<ServerError> StatusServer::start() {
  const auto address = parse_host_port(options_.listen);
  if (!address) {
    return make_error(ServerError::kBadAddress,
                      "http.listen " + options_.listen + " is not host:port");
  }
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  // httplib writes the headers and the body apart: without this, Nagle's algorithm and the
  // client's delayed ACK hold every answer back by 40 ms.
  server.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which would let a second gateway bind the same port.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const std::string token = options_.token;
  server.set_pre_routing_handler(
      [token](const httplib::Request& request, httplib::Response& response) {
        // The page holds no data (it reads /status with the token the operator types in), and a
        // browser cannot send a bearer token when it opens an address.
        if (request.path == "/" ||
            bearer_token_matches(request.get_header_value("Authorization"), token)) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        response.status = 401;
        response.set_header("WWW-Authenticate", "Bearer");
        response.set_content("missing or wrong bearer token\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(render_metrics(report()), std::string(kMetricsContentType));
  });
  server.Get("/status", [this](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_content(render_status_json(report()), "application/json");
  });
  server.Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    const Health health = judge_health(source_(), std::chrono::steady_clock::now());
    response.status = health.ok ? 200 : 503;
    response.set_content(health.ok ? std::string("ok\n") : health.reason + "\n", "text/plain");
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(status_page()), "text/html; charset=utf-8");
  });

  const std::string host = address->host;
  if (!server.bind_to_port(host, address->port)) {
    return make_error(ServerError::kCannotListen,
                      "cannot listen on http.listen " + options_.listen +
                          " (in use, or not an address of this machine)");
  }
  listen_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "status-http");
    server_->listen_after_bind();
  });
  sample_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "status");
    sample_loop();
  });
  const auto give_up = std::chrono::steady_clock::now() + kStartWait;
  while (!server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  log_info(kComponent, "status endpoint on http://" + options_.listen + "/ (/metrics, /status, " +
                           "/healthz)" + (options_.token.empty() ? "" : ", bearer token required"));
  return {};
}

void StatusServer::sample_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const GatewaySnapshot snapshot = source_();
    const BacklogEntry backlog = backlog_.get();
    history_.sample(std::chrono::steady_clock::now(), clock_.now_ns(), snapshot,
                    backlog.stats.pending);
    lock.lock();
    wake_.wait_for(lock, kSampleEvery, [this] { return stopping_; });
  }
}

void StatusServer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (server_) server_->stop();
  if (listen_thread_.joinable()) listen_thread_.join();
  if (sample_thread_.joinable()) sample_thread_.join();
}

}  // namespace sensorgate::status
