// The http adapter against real HTTP clients (cpp-httplib's client and raw sockets) on free
// loopback ports.
#include "adapters/http/http_adapter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

#include "tests/support/ports.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::http {
namespace {

using adapters::IngestError;
using adapters::RejectReason;
using testing::free_tcp_port;
using testing::wait_until;
using namespace std::chrono_literals;

// A ReadingSink that keeps what it is given, or answers `error` while one is set.
class CollectingSink final : public adapters::ReadingSink {
 public:
  Status<IngestError> submit_and_wait(std::vector<Reading> readings) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    if (error_) return make_error(*error_, "refused by the test");
    for (Reading& reading : readings) readings_.push_back(std::move(reading));
    return {};
  }
  Status<IngestError> submit(std::vector<Reading> readings) override {
    return submit_and_wait(std::move(readings));
  }
  void fail_with(IngestError error) {
    std::lock_guard lock(mutex_);
    error_ = error;
  }
  std::vector<Reading> readings() const {
    std::lock_guard lock(mutex_);
    return readings_;
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<IngestError> error_;
  std::vector<Reading> readings_;
  int calls_ = 0;
};

// A ReadingSink whose submit_and_wait() blocks until open(), like a group commit in progress.
class GatedSink final : public adapters::ReadingSink {
 public:
  Status<IngestError> submit_and_wait(std::vector<Reading> readings) override {
    {
      std::unique_lock lock(mutex_);
      ++waiting_;
      opened_.wait_for(lock, 20s, [this] { return open_; });
    }
    return inner_.submit_and_wait(std::move(readings));
  }
  Status<IngestError> submit(std::vector<Reading> readings) override {
    return submit_and_wait(std::move(readings));
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  int waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  const CollectingSink& inner() const { return inner_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  int waiting_ = 0;
  CollectingSink inner_;
};

struct Server {
  explicit Server(adapters::ReadingSink& sink, HttpSettings settings = {})
      : port(free_tcp_port()), adapter("ingest", with_port(std::move(settings), port), clock) {
    const auto started = adapter.start(sink);
    if (!started.ok()) FAIL(started.error().message);
  }
  static HttpSettings with_port(HttpSettings settings, std::uint16_t port) {
    settings.listen = "127.0.0.1:" + std::to_string(port);
    return settings;
  }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(20, 0);
    return client;
  }
  std::uint64_t rejected(RejectReason reason) const {
    const auto counters = adapter.counters();
    const auto found = counters.rejected.find(reason);
    return found == counters.rejected.end() ? 0 : found->second;
  }

  ManualClock clock{1'700'000'000'000'000'000};
  std::uint16_t port;
  HttpAdapter adapter;
};

// A raw TCP connection to the server, for what an HTTP client library hides.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval timeout{20, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawConnection() { ::close(fd_); }
  void send(const std::string& text) {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
  }
  // Reads until `count` complete responses (headers + Content-Length body) arrived; returns
  // them, or fewer when the server closes the connection or 20 s pass.
  std::vector<std::string> responses(std::size_t count) {
    std::vector<std::string> out;
    while (out.size() < count) {
      const std::size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::size_t length_at = buffer_.find("Content-Length: ");
        const std::size_t length = length_at < end ? std::stoul(buffer_.substr(length_at + 16)) : 0;
        if (buffer_.size() >= end + 4 + length) {
          out.push_back(buffer_.substr(0, end + 4 + length));
          buffer_.erase(0, end + 4 + length);
          continue;
        }
      }
      char chunk[4096];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return out;
  }
  // Reads what the server still sends until it closes the connection; true at that end of
  // file, false when 20 s pass first. `rest` gets what was read.
  bool closed_by_server(std::string& rest) {
    char chunk[4096];
    while (true) {
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got == 0) return true;
      if (got < 0) return false;
      rest.append(chunk, static_cast<std::size_t>(got));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

constexpr std::string_view kTwoReadings =
    R"([{"device":"d1","metric":"temp","value":21.5,"unit":"C","ts":1763856000000},)"
    R"({"device":"d2","metric":"hum","value":40}])";

TEST_CASE("POST /v1/readings is answered 202 with the readings handed to the sink") {
  CollectingSink sink;
  Server server(sink);
  auto client = server.client();
  const auto result = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(result);
  CHECK(result->status == 202);
  CHECK(nlohmann::json::parse(result->body)["accepted"] == 2);
  const auto readings = sink.readings();
  REQUIRE(readings.size() == 2);
  CHECK(readings[0].device == "d1");
  CHECK(readings[0].ts_ns == 1'763'856'000'000'000'000);
  CHECK(readings[1].ts_ns == server.clock.now_ns());  // no ts: the receive time
  CHECK(server.adapter.counters().readings_received == 2);
  CHECK(server.adapter.health().up);
}

TEST_CASE("NDJSON and line protocol with a precision are accepted too") {
  CollectingSink sink;
  Server server(sink);
  auto client = server.client();
  auto ndjson = client.Post("/v1/readings",
                            "{\"device\":\"a\",\"metric\":\"m\",\"value\":1}\n"
                            "{\"device\":\"b\",\"metric\":\"m\",\"value\":2}\n",
                            "application/x-ndjson");
  REQUIRE(ndjson);
  CHECK(ndjson->status == 202);
  auto lines =
      client.Post("/v1/lines?precision=ms", "temp,device=c value=3 1763856000000\n", "text/plain");
  REQUIRE(lines);
  CHECK(lines->status == 202);
  const auto readings = sink.readings();
  REQUIRE(readings.size() == 3);
  CHECK(readings[2].device == "c");
  CHECK(readings[2].metric == "temp");
  CHECK(readings[2].ts_ns == 1'763'856'000'000'000'000);
  auto empty = client.Post("/v1/readings", "[]", "application/json");
  REQUIRE(empty);
  CHECK(empty->status == 202);
  CHECK(sink.calls() == 2);  // an empty batch is not handed to the sink
  auto bad_precision =
      client.Post("/v1/lines?precision=h", "temp,device=c value=3\n", "text/plain");
  REQUIRE(bad_precision);
  CHECK(bad_precision->status == 400);
}

TEST_CASE("the answer 202 comes only after the sink has committed the readings") {
  GatedSink sink;
  Server server(sink);
  auto pending = std::async(std::launch::async, [&] {
    auto client = server.client();
    return client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  });
  REQUIRE(wait_until([&] { return sink.waiting() == 1; }));
  // The commit has not returned: no answer may have been given.
  CHECK(pending.wait_for(0s) == std::future_status::timeout);
  sink.open();
  const auto result = pending.get();
  REQUIRE(result);
  CHECK(result->status == 202);
  CHECK(sink.inner().readings().size() == 2);
}

TEST_CASE("a bad item makes the whole request a 400 naming it, and nothing is stored") {
  CollectingSink sink;
  Server server(sink);
  auto client = server.client();
  const auto result = client.Post(
      "/v1/readings",
      R"([{"device":"d","metric":"m","value":1},{"device":"d","metric":"m","value":"x","ts":true}])",
      "application/json");
  REQUIRE(result);
  CHECK(result->status == 400);
  const auto json = nlohmann::json::parse(result->body);
  CHECK(json["rejected"] == 1);
  CHECK(json["items"][0]["index"] == 1);
  CHECK(json["items"][0]["reason"] == "bad_timestamp");
  CHECK(json["items"][0]["message"] ==
        "ts is a boolean; expected RFC 3339 text or epoch milliseconds");
  CHECK(sink.calls() == 0);
  CHECK(server.rejected(RejectReason::kBadTimestamp) == 1);

  const auto lines = client.Post("/v1/lines", "m,device=a v=1\nm,device=b v=oops\n", "text/plain");
  REQUIRE(lines);
  CHECK(lines->status == 400);
  CHECK(nlohmann::json::parse(lines->body)["items"][0]["line"] == 2);
  CHECK(sink.calls() == 0);

  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const auto nested = client.Post("/v1/readings", deep, "application/json");
  REQUIRE(nested);
  CHECK(nested->status == 400);
  CHECK(server.adapter.health().up);
}

TEST_CASE("with a token file, requests without the right bearer token get 401") {
  CollectingSink sink;
  HttpSettings settings;
  settings.token = "s3cret-token";
  Server server(sink, settings);
  auto client = server.client();
  const auto without = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(without);
  CHECK(without->status == 401);
  CHECK(without->get_header_value("WWW-Authenticate") == "Bearer");
  client.set_bearer_token_auth("s3cret-tokeN");
  const auto wrong = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  client.set_bearer_token_auth("s3cret-token-and-more");
  const auto longer = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(longer);
  CHECK(longer->status == 401);
  CHECK(sink.calls() == 0);
  CHECK(server.rejected(RejectReason::kUnauthorized) == 3);
  client.set_bearer_token_auth("s3cret-token");
  const auto right = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(right);
  CHECK(right->status == 202);
}

TEST_CASE("a body above max_body is answered 413, with or without Content-Length") {
  CollectingSink sink;
  HttpSettings settings;
  settings.max_body = Bytes{1024};
  Server server(sink, settings);
  std::string big = "[";
  while (big.size() < 2000) big += R"({"device":"d","metric":"m","value":1},)";
  big.back() = ']';
  {
    auto client = server.client();
    const auto sized = client.Post("/v1/readings", big, "application/json");
    REQUIRE(sized);
    CHECK(sized->status == 413);
  }
  {
    auto client = server.client();
    // A content provider without a length goes out chunked: the limit is counted while reading.
    const auto chunked = client.Post(
        "/v1/readings",
        [&](std::size_t offset, httplib::DataSink& out) {
          if (offset < big.size()) {
            out.write(big.data() + offset, std::min<std::size_t>(256, big.size() - offset));
          } else {
            out.done();
          }
          return true;
        },
        "application/json");
    REQUIRE(chunked);
    CHECK(chunked->status == 413);
  }
  CHECK(sink.calls() == 0);
  CHECK(server.rejected(RejectReason::kTooLarge) == 2);
}

TEST_CASE("while the buffer refuses readings the answer is 503 with Retry-After") {
  CollectingSink sink;
  Server server(sink);
  sink.fail_with(IngestError::kFull);
  auto client = server.client();
  const auto full = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(full->get_header_value("Retry-After") == "1");
  CHECK(server.rejected(RejectReason::kBufferFull) == 2);
  sink.fail_with(IngestError::kStopping);
  const auto stopping = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(stopping);
  CHECK(stopping->status == 503);
  CHECK(stopping->get_header_value("Retry-After") == "1");
}

TEST_CASE("other paths are 404 and other methods on the ingest paths 405") {
  CollectingSink sink;
  Server server(sink);
  auto client = server.client();
  const auto get = client.Get("/v1/readings");
  REQUIRE(get);
  CHECK(get->status == 405);
  CHECK(get->get_header_value("Allow") == "POST");
  const auto put = client.Put("/v1/lines", "m,device=a v=1", "text/plain");
  REQUIRE(put);
  CHECK(put->status == 405);
  const auto elsewhere = client.Post("/v2/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(elsewhere);
  CHECK(elsewhere->status == 404);
  const auto root = client.Get("/");
  REQUIRE(root);
  CHECK(root->status == 404);
  CHECK(sink.calls() == 0);
}

TEST_CASE("one keep-alive connection carries many requests") {
  CollectingSink sink;
  Server server(sink);
  RawConnection connection(server.port);
  const std::string one = post("/v1/readings", std::string(kTwoReadings));
  for (int i = 0; i < 5; ++i) {
    connection.send(one);
    const auto answers = connection.responses(1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].starts_with("HTTP/1.1 202"));
    CHECK(answers[0].find("Connection: close") == std::string::npos);
  }
  CHECK(sink.readings().size() == 10);
}

TEST_CASE("a client that sends nothing is closed after read_timeout and frees its worker") {
  CollectingSink sink;
  HttpSettings settings;
  settings.workers = 1;
  settings.read_timeout = 1s;
  Server server(sink, settings);
  RawConnection silent(server.port);
  silent.send("POST /v1/readings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  // The one worker is held by the silent client until the server gives up on it.
  std::string answer;
  CHECK(silent.closed_by_server(answer));
  CHECK(answer.starts_with("HTTP/1.1 408"));
  auto client = server.client();
  const auto result = client.Post("/v1/readings", std::string(kTwoReadings), "application/json");
  REQUIRE(result);
  CHECK(result->status == 202);
}

TEST_CASE("a listen address in use fails start with kCannotListen naming it") {
  CollectingSink sink;
  Server first(sink);
  HttpSettings settings;
  settings.listen = "127.0.0.1:" + std::to_string(first.port);
  ManualClock clock;
  HttpAdapter second("second", settings, clock);
  const auto started = second.start(sink);
  REQUIRE(!started.ok());
  CHECK(started.error().code == adapters::StartError::kCannotListen);
  CHECK(started.error().message == "http[second]: cannot listen on " + settings.listen +
                                       " (address in use, or not an address of this machine)");
  CHECK(!second.health().up);
}

TEST_CASE("after stop the adapter is down and the port refuses connections") {
  CollectingSink sink;
  Server server(sink);
  server.adapter.stop(1s);
  CHECK(!server.adapter.health().up);
  auto client = server.client();
  client.set_connection_timeout(2, 0);
  CHECK(!client.Post("/v1/readings", std::string(kTwoReadings), "application/json"));
}

}  // namespace
}  // namespace sensorgate::http
