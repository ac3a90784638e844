// Key table of the http adapter.
#include "adapters/http/settings.hpp"

#include "core/host_port.hpp"

namespace sensorgate::http {
namespace {

const config::KeyTable<HttpSettings>& http_keys() {
  using S = HttpSettings;
  static const config::KeyTable<S> table{
      config::text_key("listen", &S::listen,
                       "Address to accept POST /v1/readings and /v1/lines on. Anything but a "
                       "loopback address needs token_file.",
                       config::kListenAddress),
      config::path_key("token_file", &S::token_file,
                       "File holding the bearer token clients must send; unset: no token "
                       "required. Should be mode 600."),
      config::size_key("max_body", &S::max_body,
                       "Largest request body accepted; a larger one is answered 413."),
      config::text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.",
                       config::kAnyText),
      config::integer_key("workers", &S::workers, 1, 256,
                          "Threads serving connections; each serves one connection at a time."),
      config::integer_key("max_connections", &S::max_connections, 1, 65536,
                          "Connections accepted at once (served or waiting for a worker); "
                          "further clients wait in the kernel's listen queue."),
      config::duration_key("read_timeout", &S::read_timeout,
                           "A connection that sends nothing for this long, within a request "
                           "or between keep-alive requests, is closed. Whole seconds."),
  };
  return table;
}

}  // namespace

std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path) {
  HttpSettings http;
  config::parse_mapping(reader, node, path, http_keys(), http,
                        std::span(config::kAdapterCommonKeys));
  // The token is read here, not in the key's parser, so that it is read once per adapter.
  if (!http.token_file.empty()) {
    if (auto token = reader.secret(node["token_file"], config::join_path(path, "token_file"),
                                   http.token_file)) {
      http.token = *token;
    }
  }
  if (http.token_file.empty() && parse_host_port(http.listen) && !is_loopback_listen(http.listen)) {
    const YAML::Node listen = node["listen"];
    reader.error(listen ? listen.Mark() : node.Mark(), config::join_path(path, "listen"),
                 http.listen +
                     " is reachable from other machines, so token_file is required: set it to a "
                     "file holding the bearer token clients must send, or listen on 127.0.0.1");
  }
  if (http.read_timeout % std::chrono::seconds(1) != std::chrono::nanoseconds(0)) {
    reader.error(node["read_timeout"].Mark(), config::join_path(path, "read_timeout"),
                 "expected whole seconds such as 5s, got " + format_duration(http.read_timeout));
  }
  return http;
}

std::vector<config::DocTable> settings_docs() {
  return {{"### type: http",
           "Accepts readings over HTTP: POST /v1/readings (a JSON array, or NDJSON with "
           "Content-Type application/x-ndjson, of objects {device, metric, value, unit, ts, "
           "tags}; ts is RFC 3339 text or epoch milliseconds, absent: receive time) and POST "
           "/v1/lines (influx line protocol, ?precision=ns|us|ms|s, default ns). Answers 202 "
           "once every reading of the request is committed to the buffer; 400 with a JSON list "
           "of the bad items (nothing of the request is stored); 401 without the right bearer "
           "token; 413 above max_body; 503 with Retry-After while the buffer refuses readings "
           "(on_full: reject) or the gateway stops.",
           config::key_docs(http_keys())}};
}

std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config&) {
  return config::summary_items(http_keys(), config::settings_of<HttpSettings>(adapter));
}

std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig&) {
  return {{"*", "*"}};  // clients name devices and metrics themselves
}

}  // namespace sensorgate::http
