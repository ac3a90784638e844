#include "adapters/http/http_adapter.hpp"

#include <httplib.h>
#include <pthread.h>

#include <algorithm>
#include <optional>

#include "adapters/http/connection_queue.hpp"
#include "adapters/http/reading_body.hpp"
#include "core/bearer_token.hpp"
#include "core/host_port.hpp"
#include "core/reading_json.hpp"

namespace sensorgate::http {
namespace {

using adapters::RejectReason;
using namespace std::chrono_literals;

constexpr std::string_view kReadingsPath = "/v1/readings";
constexpr std::string_view kLinesPath = "/v1/lines";
// Requests one keep-alive connection may carry before the server closes it (httplib's default
// of 5 would make every client reconnect all the time).
constexpr std::size_t kRequestsPerConnection = 10'000;
// How long start() waits for httplib's accept loop to run.
constexpr auto kStartWait = 5s;
// What a 503 asks the client to wait before it tries again.
constexpr std::string_view kRetryAfterSeconds = "1";

bool is_ours(std::string_view path) {
  return path == kReadingsPath || path == kLinesPath;
}

bool has_body(const httplib::Request& request) {
  return (request.has_header("Content-Length") &&
          request.get_header_value("Content-Length") != "0") ||
         request.has_header("Transfer-Encoding");
}

// {"error": message}
std::string error_json(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

void answer(httplib::Response& response, int status, const std::string& json) {
  response.status = status;
  response.set_content(json, "application/json");
}

// For answers given without reading the body: the rest of it must not be taken for the next
// request on the connection.
void answer_and_close(httplib::Response& response, int status, const std::string& json) {
  answer(response, status, json);
  response.set_header("Connection", "close");
}

std::optional<formats::TimestampUnit> precision_of(std::string_view text) {
  if (text.empty() || text == "ns") return formats::TimestampUnit::kNanoseconds;
  if (text == "us") return formats::TimestampUnit::kMicroseconds;
  if (text == "ms") return formats::TimestampUnit::kMilliseconds;
  if (text == "s") return formats::TimestampUnit::kSeconds;
  return std::nullopt;
}

bool is_ndjson(const httplib::Request& request) {
  const std::string type = request.get_header_value("Content-Type");
  return type.rfind("application/x-ndjson", 0) == 0;
}

}  // namespace

HttpAdapter::HttpAdapter(std::string name, HttpSettings settings, const Clock& clock)
    : name_(std::move(name)),
      component_("http[" + name_ + "]"),
      settings_(std::move(settings)),
      clock_(clock),
      stats_(component_),
      sink_log_(LogLevel::kError, component_) {}

HttpAdapter::~HttpAdapter() {
  stop(1s);
}

Status<adapters::StartError> HttpAdapter::start(adapters::ReadingSink& sink) {
  sink_ = &sink;
  const auto address = parse_host_port(settings_.listen);
  if (!address) {
    return make_error(adapters::StartError::kBadSettings,
                      component_ + ": listen " + settings_.listen + " is not host:port");
  }
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *server_;
  const auto workers = static_cast<std::size_t>(settings_.workers);
  const auto max_connections = static_cast<std::size_t>(settings_.max_connections);
  server.new_task_queue = [this, workers, max_connections] {
    return new ConnectionQueue(workers, max_connections, stopping_);
  };
  const auto timeout_s = static_cast<time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(settings_.read_timeout).count());
  server.set_read_timeout(timeout_s, 0);
  server.set_write_timeout(timeout_s, 0);
  server.set_keep_alive_timeout(timeout_s);
  server.set_keep_alive_max_count(kRequestsPerConnection);
  server.set_payload_max_length(settings_.max_body.count);
  server.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which would let a second gateway bind the same port.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  // Refuse before the client sends a body it would send in vain.
  server.set_expect_100_continue_handler([this](const httplib::Request& request,
                                                httplib::Response& response) {
    if (!authorized(request)) {
      answer_and_close(response, 401, error_json("missing or wrong bearer token"));
      return 401;
    }
    if (request.template get_header_value<std::uint64_t>("Content-Length") >
        settings_.max_body.count) {
      answer_and_close(response, 413,
                       error_json("body larger than max_body " + format_size(settings_.max_body)));
      return 413;
    }
    return 100;
  });
  // Everything but POST: 405 on the two paths, 404 elsewhere.
  server.set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
    if (request.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
    const bool ours = is_ours(request.path);
    const std::string json = error_json(ours ? "only POST is allowed on " + request.path
                                             : "no such path: " + request.path);
    if (ours) response.set_header("Allow", "POST");
    if (has_body(request)) {
      answer_and_close(response, ours ? 405 : 404, json);
    } else {
      answer(response, ours ? 405 : 404, json);
    }
    return httplib::Server::HandlerResponse::Handled;
  });
  server.Post(".*", [this](const httplib::Request& request, httplib::Response& response,
                           const httplib::ContentReader& reader) {
    handle_post(request, response, reader);
  });

  if (!server.bind_to_port(address->host, address->port)) {
    const std::string detail = "cannot listen on " + settings_.listen +
                               " (address in use, or not an address of this machine)";
    set_health(false, detail);
    return make_error(adapters::StartError::kCannotListen, component_ + ": " + detail);
  }
  set_health(true, "listening on " + settings_.listen);
  listen_thread_ = std::thread([this] {
    if (!server_->listen_after_bind() && !stopping_.load()) {
      set_health(false, "the listening socket failed on " + settings_.listen);
      log_error(component_, "the listening socket failed on " + settings_.listen);
    }
    listen_returned_ = true;
  });
  pthread_setname_np(listen_thread_.native_handle(), "http-listen");
  // httplib's stop() does nothing before its accept loop runs: wait for it, so that a stop()
  // right after start() cannot leave the loop running.
  const auto give_up = std::chrono::steady_clock::now() + kStartWait;
  while (!server.is_running() && !listen_returned_.load() &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  log_info(component_, "listening on " + settings_.listen +
                           (settings_.token.empty() ? "" : " (bearer token required)"));
  return {};
}

void HttpAdapter::stop(std::chrono::milliseconds) {
  if (stopping_.exchange(true)) return;
  if (server_) server_->stop();
  if (listen_thread_.joinable()) listen_thread_.join();
  set_health(false, "stopped");
}

adapters::AdapterHealth HttpAdapter::health() const {
  std::lock_guard lock(mutex_);
  return {up_, detail_};
}

adapters::AdapterCounters HttpAdapter::counters() const {
  return stats_.snapshot();
}

bool HttpAdapter::authorized(const httplib::Request& request) const {
  return bearer_token_matches(request.get_header_value("Authorization"), settings_.token);
}

void HttpAdapter::handle_post(const httplib::Request& request, httplib::Response& response,
                              const httplib::ContentReader& reader) {
  if (!is_ours(request.path)) {
    answer_and_close(response, 404, error_json("no such path: " + request.path));
    return;
  }
  stats_.count_message();
  if (!authorized(request)) {
    stats_.reject(RejectReason::kUnauthorized, 1, {}, "request from " + request.remote_addr);
    response.set_header("WWW-Authenticate", "Bearer");
    answer_and_close(response, 401, error_json("missing or wrong bearer token"));
    return;
  }
  if (stopping_.load()) {
    response.set_header("Retry-After", std::string(kRetryAfterSeconds));
    answer_and_close(response, 503, error_json("the gateway is stopping"));
    return;
  }
  const std::string too_large = "body larger than max_body " + format_size(settings_.max_body);
  if (request.template get_header_value<std::uint64_t>("Content-Length") >
      settings_.max_body.count) {
    stats_.reject(RejectReason::kTooLarge, 1, {}, too_large);
    answer_and_close(response, 413, error_json(too_large));
    return;
  }
  const bool lines = request.path == kLinesPath;
  BodyOptions options;
  options.format = lines ? BodyFormat::kInfluxLines
                         : (is_ndjson(request) ? BodyFormat::kNdjson : BodyFormat::kJsonArray);
  options.topic = settings_.topic;
  if (lines) {
    const auto precision = precision_of(request.get_param_value("precision"));
    if (!precision) {
      answer_and_close(response, 400, error_json("precision must be ns, us, ms or s"));
      return;
    }
    options.line_precision = *precision;
  }

  // Chunked bodies have no Content-Length: the limit is counted while reading. Past it, up to
  // max_body more is read and dropped, so that the client, still sending, gets to read the 413.
  std::string body;
  bool over_limit = false;
  std::uint64_t dropped = 0;
  const bool complete = reader([&](const char* data, std::size_t size) {
    if (!over_limit && body.size() + size <= settings_.max_body.count) {
      body.append(data, size);
      return true;
    }
    over_limit = true;
    body = {};
    dropped += size;
    return dropped <= settings_.max_body.count;
  });
  if (over_limit) {
    stats_.reject(RejectReason::kTooLarge, 1, {}, too_large);
    if (complete) {
      answer(response, 413, error_json(too_large));
    } else {
      answer_and_close(response, 413, error_json(too_large));
    }
    return;
  }
  if (!complete) {
    answer_and_close(response, 408,
                     error_json("the body did not arrive in full (read_timeout " +
                                format_duration(settings_.read_timeout) + ")"));
    return;
  }

  options.receive_ts_ns = clock_.now_ns();
  ParsedBody parsed = parse_body(body, options);
  if (parsed.error_count > 0) {
    for (const auto& [reason, count] : parsed.by_reason) {
      stats_.reject(reason, count, {},
                    std::to_string(parsed.error_count) + " bad item(s) in a request to " +
                        request.path +
                        (parsed.errors.empty() ? "" : ", first: " + parsed.errors.front().message));
    }
    answer(response, 400, errors_json(parsed, options.format));
    return;
  }
  const std::size_t count = parsed.readings.size();
  if (count == 0) {  // an empty array, or only blank lines: nothing to commit
    answer(response, 202, "{\"accepted\":0}");
    return;
  }
  const Status<adapters::IngestError> committed =
      sink_->submit_and_wait(std::move(parsed.readings));
  if (committed.ok()) {
    stats_.count_readings(count);
    answer(response, 202, "{\"accepted\":" + std::to_string(count) + "}");
    return;
  }
  switch (committed.error().code) {
    case adapters::IngestError::kFull:
      stats_.reject(RejectReason::kBufferFull, count, {}, committed.error().message);
      response.set_header("Retry-After", std::string(kRetryAfterSeconds));
      answer(response, 503, error_json("the buffer is full: " + committed.error().message));
      return;
    case adapters::IngestError::kStopping:
      response.set_header("Retry-After", std::string(kRetryAfterSeconds));
      answer(response, 503, error_json("the gateway is stopping"));
      return;
    case adapters::IngestError::kFailed:
      sink_log_.log(std::to_string(count) + " reading(s) not stored: " + committed.error().message);
      answer(response, 500,
             error_json("the readings could not be stored: " + committed.error().message));
      return;
  }
}

void HttpAdapter::set_health(bool up, std::string detail) {
  std::lock_guard lock(mutex_);
  up_ = up;
  detail_ = std::move(detail);
}

}  // namespace sensorgate::http
