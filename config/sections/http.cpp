// The http section: where the /metrics, /status, /healthz and status page endpoint listens, and
// the bearer token it asks for.
#include "config/sections.hpp"
#include "core/host_port.hpp"

namespace sensorgate::config {

const KeyTable<HttpSection>& http_keys() {
  using S = HttpSection;
  static const KeyTable<S> table{
      text_key("listen", &S::listen,
               "Address of the status endpoint: GET /metrics (Prometheus), /status (JSON), "
               "/healthz and / (the status page). Anything but a loopback address needs "
               "token_file.",
               kListenAddress),
      path_key("token_file", &S::token_file,
               "File holding the bearer token every request must send; unset: no token "
               "required. Should be mode 600."),
  };
  return table;
}

void parse_http(Reader& reader, const YAML::Node& node, const std::string& path, HttpSection& out) {
  parse_mapping(reader, node, path, http_keys(), out);
  if (!out.token_file.empty()) {
    if (auto token =
            reader.secret(node["token_file"], join_path(path, "token_file"), out.token_file)) {
      out.token = *token;
    }
  }
  if (out.token_file.empty() && parse_host_port(out.listen) && !is_loopback_listen(out.listen)) {
    const YAML::Node listen = node["listen"];
    reader.error(listen ? listen.Mark() : node.Mark(), join_path(path, "listen"),
                 out.listen +
                     " is reachable from other machines, so token_file is required: set it to a "
                     "file holding the bearer token clients must send, or listen on 127.0.0.1");
  }
}

}  // namespace sensorgate::config
