#include <ostream>

#include "buffer/buffer.hpp"
#include "core/clock.hpp"
#include "gateway/cli/alerts_view.hpp"
#include "gateway/cli/commands.hpp"

namespace sensorgate::cli {

int alerts_command(const AlertsOptions& options, std::ostream& out, std::ostream& err) {
  const auto config = load_config_reporting(options.config_file, err);
  if (!config) return kExitUsage;
  const std::int64_t since_ns = SystemClock().now_ns() - options.since.count();
  const auto alerts = buffer::read_alerts(config->buffer.path, since_ns);
  if (!alerts.ok()) {
    err << "sensorgate alerts: " << alerts.error().message << '\n';
    return kExitRuntime;
  }
  out << (options.json ? render_alerts_json(*alerts) : render_alerts_table(*alerts));
  return kExitOk;
}

}  // namespace sensorgate::cli
