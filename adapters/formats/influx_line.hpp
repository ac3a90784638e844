// Influx line protocol, as sent over MQTT (payload: line), UDP and HTTP POST /v1/lines:
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
// parsed into points, and points turned into readings. Pure functions, thread-safe.
//
// Syntax (InfluxDB 1.x/2.x): backslash escapes `,` `=` space `\` and `"` in names; string field
// values are double-quoted; integers end in `i`, unsigned integers in `u`; booleans are
// t/T/true/True/TRUE and f/F/false/False/FALSE; the timestamp is an integer (in ns unless the
// caller says otherwise). Empty lines and lines starting with `#` carry no point.
//
// Point -> readings, one reading per field:
//   device  the tag `device`, else the caller's fallback device (e.g. the MQTT device template);
//           neither: rejected as missing_field
//   metric  the field key, except a field named `value`, which gives the measurement name:
//           `climate,device=hall-1 temp=21.5,hum=40` -> hall-1/temp, hall-1/hum;
//           `temp,device=hall-1 value=21.5`          -> hall-1/temp
//   unit    the tag `unit`, else none
//   tags    the other tags, in line order
//   ts      the point's timestamp, else the receive time
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/adapter.hpp"
#include "adapters/formats/epoch_time.hpp"
#include "core/reading.hpp"
#include "core/result.hpp"

namespace sensorgate::formats {

struct LinePoint {
  std::string measurement;
  Tags tags;                                                 // in line order, unescaped
  std::vector<std::pair<std::string, ReadingValue>> fields;  // integers become doubles
  std::optional<std::int64_t> timestamp;  // as written, unit chosen by the caller
};

// Parses one line without its newline (a trailing '\r' is ignored). Errors: kBadLine for the
// syntax and for a line that is not valid UTF-8, kBadNumber for an unquoted field value that is
// not a finite number nor a boolean. The error message says what is wrong and where (column,
// 1-based).
Result<LinePoint, adapters::RejectReason> parse_influx_line(std::string_view line);

// True for lines that carry no point: empty, blank, or a `#` comment.
bool is_blank_or_comment(std::string_view line);

struct LineReadingOptions {
  std::string_view fallback_device;  // for points without a `device` tag; empty: none
  TimestampUnit timestamp_unit = TimestampUnit::kNanoseconds;
  std::int64_t receive_ts_ns = 0;  // ts of points without a timestamp
  std::string_view topic;          // Reading::topic
};

// Appends the readings of `point` (see the header comment) to `out`. Errors: kMissingField (no
// device), kBadTimestamp (the timestamp does not fit the unit). On error `out` is unchanged.
Status<adapters::RejectReason> append_point_readings(LinePoint point,
                                                     const LineReadingOptions& options,
                                                     std::vector<Reading>& out);

// Every line of `body` (separated by \n or \r\n) into readings; all or nothing: the first bad
// line rejects the body, the message naming the line number.
Result<std::vector<Reading>, adapters::RejectReason> influx_lines_to_readings(
    std::string_view body, const LineReadingOptions& options);

}  // namespace sensorgate::formats
