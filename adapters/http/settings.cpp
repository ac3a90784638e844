// Key table of the http adapter.
#include "adapters/http/settings.hpp"

namespace sensorgate::http {
namespace {

const config::KeyTable<HttpSettings>& http_keys() {
  using S = HttpSettings;
  static const config::KeyTable<S> table{
      config::text_key("listen", &S::listen,
                       "Address to accept POST /v1/readings and /v1/lines on.",
                       config::kListenAddress),
      config::path_key("token_file", &S::token_file,
                       "File holding the bearer token clients must send; unset: no token "
                       "required. Should be mode 600."),
      config::size_key("max_body", &S::max_body, "Largest request body accepted."),
      config::text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.",
                       config::kAnyText),
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
  return http;
}

std::vector<config::DocTable> settings_docs() {
  return {{"### type: http",
           "Accepts readings over HTTP: POST /v1/readings (JSON array or NDJSON) and "
           "POST /v1/lines (influx line protocol).",
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
