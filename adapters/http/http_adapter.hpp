// HttpAdapter: accepts readings over HTTP (cpp-httplib server) and answers each request only
// after its readings are committed to the buffer. Thread-safe: start() and stop() from one
// controlling thread, everything else from any thread.
//
// Endpoints (DESIGN.md "HTTP ingest"): POST /v1/readings (JSON array, or NDJSON with
// Content-Type application/x-ndjson) and POST /v1/lines (influx line protocol,
// ?precision=ns|us|ms|s, default ns); see reading_body.hpp for the shapes. Answers:
//   202 {"accepted": N}  every reading of the request is committed (ReadingSink::submit_and_wait
//                        returned), so a kill -9 after the answer loses none of them
//   400 + JSON           the body, the precision or an item is bad; the JSON names each bad item
//                        (index or line) and why; nothing of the request is stored
//   401                  token_file is set and the Authorization: Bearer token is missing or
//                        wrong (compared in constant time)
//   404 / 405            other paths / other methods on the two paths (Allow: POST)
//   408                  the body did not arrive in full (the client went silent for read_timeout)
//   413                  the body is above max_body: by its Content-Length (answered without
//                        reading it), or counted while reading a chunked body (read and dropped
//                        up to max_body more, so the client still sending gets the answer)
//   503 + Retry-After    the buffer refuses readings (on_full: reject) or the gateway is stopping
//   500                  the buffer could not commit (I/O); nothing stored
// Answers given without reading the request's body (401, 404, 405 with a body, 413 by
// Content-Length, 503 while stopping) carry Connection: close, so the rest of the body is never
// taken for the next request; a client sending Expect: 100-continue gets the 401 or 413 before
// it sends the body.
//
// Counters: messages_received counts requests to the two endpoints, readings_received the
// readings committed. Rejects: each bad item of a 400 by its reason; a 401 as unauthorized and a
// 413 as too_large, once per request; a 503 at the cap as buffer_full per reading refused.
//
// Threads: one listening thread ("http-listen") accepts connections; `workers` threads serve
// them (ConnectionQueue), each one connection at a time with keep-alive, at most
// max_connections held at once. A connection that sends nothing for read_timeout is closed, so
// a silent client holds a worker for at most that long per read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/adapter.hpp"
#include "adapters/adapter_stats.hpp"
#include "adapters/http/settings.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace sensorgate::http {

class HttpAdapter final : public adapters::Adapter {
 public:
  // `settings` as parsed by parse_settings; `clock` (receive times) must outlive the adapter.
  // Nothing listens before start().
  HttpAdapter(std::string name, HttpSettings settings, const Clock& clock);
  // Stops with a 1 s deadline if stop() was not called.
  ~HttpAdapter() override;
  HttpAdapter(const HttpAdapter&) = delete;
  HttpAdapter& operator=(const HttpAdapter&) = delete;

  const std::string& name() const override { return name_; }

  // Call once. Binds the listen address (kCannotListen, naming it, when it is in use or not
  // allowed) and starts serving. `sink` must outlive the adapter.
  Status<adapters::StartError> start(adapters::ReadingSink& sink) override;

  // Closes the listening socket, answers 503 to requests that still arrive, and joins the
  // threads. Requests being served finish first (their submit_and_wait returns when the sink
  // lets it); an idle keep-alive connection ends within read_timeout, so stop() takes up to
  // max(deadline, read_timeout).
  void stop(std::chrono::milliseconds deadline) override;

  // up while listening; detail names the address, or why not.
  adapters::AdapterHealth health() const override;
  adapters::AdapterCounters counters() const override;

 private:
  void handle_post(const httplib::Request& request, httplib::Response& response,
                   const httplib::ContentReader& reader);
  bool authorized(const httplib::Request& request) const;
  void set_health(bool up, std::string detail);

  const std::string name_;
  const std::string component_;  // "http[<name>]" in logs
  const HttpSettings settings_;
  const Clock& clock_;
  adapters::ReadingSink* sink_ = nullptr;  // set by start()

  std::atomic<bool> stopping_{false};
  std::atomic<bool> listen_returned_{false};
  adapters::AdapterStats stats_;
  RateLimitedLog sink_log_;

  mutable std::mutex mutex_;  // guards what follows
  bool up_ = false;
  std::string detail_ = "not started";

  std::unique_ptr<httplib::Server> server_;
  std::thread listen_thread_;
};

}  // namespace sensorgate::http
