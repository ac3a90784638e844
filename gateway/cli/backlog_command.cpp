#include <ostream>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"
#include "core/clock.hpp"
#include "gateway/cli/commands.hpp"

namespace sensorgate::cli {

int backlog_command(const BacklogOptions& options, std::ostream& out, std::ostream& err) {
  const auto config = load_config_reporting(options.config_file, err);
  if (!config) return kExitUsage;
  const auto stats = buffer::read_backlog(config->buffer.path);
  if (!stats.ok()) {
    err << "sensorgate backlog: " << stats.error().message << '\n';
    return kExitRuntime;
  }
  const std::int64_t now_ns = SystemClock().now_ns();
  const auto quarantined = buffer::list_quarantined(config->buffer.path);
  out << (options.json ? render_backlog_json(*stats, options.grouping, now_ns, quarantined)
                       : render_backlog_table(*stats, options.grouping, now_ns, quarantined));
  return kExitOk;
}

}  // namespace sensorgate::cli
