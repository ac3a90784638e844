#include "adapters/formats/influx_batch.hpp"

namespace sensorgate::formats {

std::size_t append_influx_lines(std::string_view text, const LineReadingOptions& options,
                                std::vector<Reading>& out, const LineErrorHandler& on_error) {
  std::size_t line_number = 0;
  std::size_t bad = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (is_blank_or_comment(line)) continue;
    auto point = parse_influx_line(line);
    Status<adapters::RejectReason> appended =
        point.ok() ? append_point_readings(std::move(*point), options, out)
                   : Status<adapters::RejectReason>(point.error());
    if (!appended.ok()) {
      ++bad;
      on_error(line_number, appended.error().code, appended.error().message);
    }
  }
  return bad;
}

}  // namespace sensorgate::formats
