#include <httplib.h>

#include <ostream>

#include "core/host_port.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/cli/status_view.hpp"

namespace sensorgate::cli {
namespace {

constexpr time_t kTimeoutSeconds = 5;

// Where to connect for a listen address: a wildcard address is reached on loopback.
std::string connect_host(const HostPort& listen) {
  if (listen.host == "0.0.0.0") return "127.0.0.1";
  if (listen.host == "::") return "::1";
  return listen.host;
}

// httplib's error names ("Connection") in words for the operator.
std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (is it running? is http.listen what it listens on?)";
    case httplib::Error::ConnectionTimeout:
    case httplib::Error::Read:
      return "no answer within " + std::to_string(kTimeoutSeconds) + " s";
    default:
      return "request failed: " + httplib::to_string(error);
  }
}

}  // namespace

int status_command(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  const auto config = load_config_reporting(options.config_file, err);
  if (!config) return kExitUsage;
  const auto listen = parse_host_port(config->http.listen);
  if (!listen) {
    err << "sensorgate status: http.listen " << config->http.listen << " is not host:port\n";
    return kExitUsage;
  }
  const std::string host = connect_host(*listen);
  const std::string where = "http://" + (listen->ipv6 ? "[" + host + "]" : host) + ":" +
                            std::to_string(listen->port) + "/status (http.listen in " +
                            options.config_file.string() + ")";
  httplib::Client client(host, listen->port);
  client.set_connection_timeout(kTimeoutSeconds, 0);
  client.set_read_timeout(kTimeoutSeconds, 0);
  client.set_tcp_nodelay(true);
  if (!config->http.token.empty()) client.set_bearer_token_auth(config->http.token);
  const auto answer = client.Get("/status");
  if (!answer) {
    err << "sensorgate status: the daemon does not answer at " << where << ": "
        << describe(answer.error()) << '\n';
    return kExitRuntime;
  }
  if (answer->status != 200) {
    err << "sensorgate status: " << where << " answered " << answer->status << ": " << answer->body;
    if (answer->body.empty() || answer->body.back() != '\n') err << '\n';
    return kExitRuntime;
  }
  if (options.json) {
    out << answer->body;
    return kExitOk;
  }
  const auto status = nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded()) {
    err << "sensorgate status: " << where << " answered with something that is not JSON\n";
    return kExitRuntime;
  }
  out << render_status_summary(status);
  return kExitOk;
}

}  // namespace sensorgate::cli
