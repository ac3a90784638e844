// StatusServer: the endpoint on http.listen (cpp-httplib), for people and Prometheus:
//   GET /metrics  Prometheus text 0.0.4 (metrics_text.hpp)
//   GET /status   JSON (status_json.hpp)
//   GET /healthz  200 "ok", or 503 and the reason (health.hpp)
//   GET /         the status page (page.hpp), which polls /status
// With http.token_file set, every request but GET / needs "Authorization: Bearer <token>" (401
// otherwise); the page, which holds no data, asks the operator for the token.
// Requests read the gateway's live counters and a backlog cached for a second, never the
// database. A "status" thread samples the gateway once a second for rates and history.
//
// Threads: start() and stop() from one controlling thread; two server threads answer requests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "buffer/buffer.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "gateway/status/backlog_cache.hpp"
#include "gateway/status/history.hpp"
#include "gateway/status/report.hpp"

namespace httplib {
class Server;
}

namespace sensorgate::status {

enum class ServerError {
  kBadAddress,    // http.listen is not host:port
  kCannotListen,  // the address is in use or not one of this machine's
};

struct ServerOptions {
  std::string listen;   // host:port
  std::string token;    // empty: none required
  std::string version;  // sensorgate_build_info, /status
};

class StatusServer {
 public:
  // Returns a snapshot of the running gateway; called from the server's threads, so it must be
  // thread-safe and must stay valid until stop() returned.
  using SnapshotSource = std::function<GatewaySnapshot()>;

  // `buffer` (for the backlog) and `clock` must outlive the server.
  StatusServer(ServerOptions options, SnapshotSource source, buffer::Buffer& buffer,
               const Clock& clock);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Binds the listen address and starts answering; fails with a message naming the address when
  // it cannot bind (in use, not a local address). Call once.
  Status<ServerError> start();
  // Stops answering and joins the threads; safe to call more than once.
  void stop();

  // What /metrics and /status render now.
  StatusReport report();

 private:
  void sample_loop();

  const ServerOptions options_;
  const SnapshotSource source_;
  const Clock& clock_;
  const std::int64_t started_ns_;
  BacklogCache backlog_;
  History history_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listen_thread_;
  std::thread sample_thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace sensorgate::status
