// Many influx lines at once where each bad line is reported on its own (UDP datagrams, HTTP
// POST /v1/lines) instead of rejecting the whole text at the first one, as
// influx_lines_to_readings does. Pure function, thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/formats/influx_line.hpp"

namespace sensorgate::formats {

// Called once per bad line: its 1-based number, the reason and what is wrong.
using LineErrorHandler =
    std::function<void(std::size_t line, adapters::RejectReason reason, std::string message)>;

// Appends the readings of every good line of `text` (lines separated by \n or \r\n; blank and
// `#` lines skipped) to `out`, and calls `on_error` for each bad one: kBadLine for syntax and
// for text that is not valid UTF-8, else the reasons of parse_influx_line and
// append_point_readings. A bad line adds nothing to `out`. Returns the number of bad lines.
std::size_t append_influx_lines(std::string_view text, const LineReadingOptions& options,
                                std::vector<Reading>& out, const LineErrorHandler& on_error);

}  // namespace sensorgate::formats
