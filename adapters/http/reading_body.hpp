// The bodies of POST /v1/readings and /v1/lines turned into readings, with every bad item
// named: a JSON array of reading objects, NDJSON (one object per line) or influx line protocol.
// Pure functions, thread-safe.
//
// A reading object is shaped like the Kafka record value (DESIGN.md): device and metric
// (non-empty strings), value (a finite number, true/false or a string), optional unit (string),
// ts (RFC 3339 text, or epoch milliseconds as a number; absent: the receive time) and tags (an
// object of strings). Other keys are errors, so that a misspelt key is not silently dropped.
//
// The JSON is read as a stream of events (nlohmann's SAX parser, which keeps its own stack on
// the heap), never built as a tree, and nesting deeper than kMaxJsonDepth ends the parse with an
// error: a body of 100,000 nested arrays is a 400, not a stack overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"
#include "adapters/formats/epoch_time.hpp"
#include "core/reading.hpp"

namespace sensorgate::http {

inline constexpr int kMaxJsonDepth = 8;

// One bad item: `position` is the 0-based index in a JSON array, or the 1-based line number for
// NDJSON and line protocol (BodyFormat says which); none when the whole body is bad (a JSON
// array that does not parse).
struct ItemError {
  std::optional<std::size_t> position;
  adapters::RejectReason reason = adapters::RejectReason::kBadJson;
  std::string message;
};

enum class BodyFormat { kJsonArray, kNdjson, kInfluxLines };

struct ParsedBody {
  std::vector<Reading> readings;  // the good items' readings, in body order
  // The bad items in body order; at most max_errors are kept, error_count counts them all.
  std::vector<ItemError> errors;
  std::size_t error_count = 0;
  // Rejects by reason, over all bad items (not only the kept ones).
  std::vector<std::pair<adapters::RejectReason, std::size_t>> by_reason;
};

struct BodyOptions {
  BodyFormat format = BodyFormat::kJsonArray;
  std::int64_t receive_ts_ns = 0;  // ts of items without one
  std::string_view topic;          // Reading::topic of every reading
  formats::TimestampUnit line_precision = formats::TimestampUnit::kNanoseconds;
  std::size_t max_errors = 100;
};

// Parses `body` as options.format says. A JSON array that does not parse (or nests too deep) is
// one error without a position; for NDJSON such a line is the error of that line.
ParsedBody parse_body(std::string_view body, const BodyOptions& options);

// The JSON answer of a 400: {"error": "...", "rejected": N, "items": [{"index"|"line": n,
// "reason": "...", "message": "..."}, ...]}.
std::string errors_json(const ParsedBody& parsed, BodyFormat format);

}  // namespace sensorgate::http
