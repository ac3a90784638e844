// Mapping: turns one MQTT message (topic, payload) into readings by the adapter's subscriptions,
// or rejects it with a reason. Pure: no threads, no I/O. Immutable after create(); map() is
// thread-safe.
//
// The first subscription (in config order) whose filter matches the topic maps the message.
// Its wildcard captures fill the templates ({1}, {2}, ...) of device, metric, metric names and
// tag values; `topic` becomes Reading::topic; constant tags follow the payload's own tags.
//
// payload: json (parsed with simdjson's DOM parser, one reused per receiving thread; fields are
// dotted paths, "a.b.0" indexes arrays)
//   - The payload is one object, or with `readings_field` the array at that path is a list of
//     objects; a payload that is itself an array is such a list too. Each object gives:
//     * `metrics` set: one reading per configured field present (null counts as absent); an
//       object with none of them is rejected as missing_field.
//     * no `metrics`, an object with "metric" and "value": one reading, with "unit", "device"
//       (overrides the device template) and "tags" (object of strings) taken when present.
//     * no `metrics` otherwise: one reading per top-level number or boolean field, named by its
//       key, in payload order (the timestamp field excluded); none: missing_field.
//   - Values: numbers, booleans and strings; objects and arrays are bad_number. A number beyond
//     double's range (1e999) or an integer beyond 64 bits makes the payload invalid JSON
//     (bad_json), as does text that is not UTF-8. A leading UTF-8 byte order mark is skipped.
//   - A key repeated in one object: a configured field reads its first occurrence; without
//     `metrics` each occurrence is a reading.
//   - A payload nesting arrays and objects deeper than kMaxJsonDepth levels is bad_json.
// payload: number — the whole payload is one decimal number (surrounding whitespace allowed);
//   metric from the `metric` template, unit from `unit`, ts the receive time.
// payload: line — influx line protocol, one or more lines (adapters/formats/influx_line.hpp);
//   the device template is the fallback for points without a `device` tag.
//
// Timestamps: without `timestamp.field` the receive time. Otherwise the field (in a list, of the
// element, else of the payload root) read per `timestamp.unit`: auto guesses s/ms/us/ns by
// magnitude and takes RFC 3339 text (adapters/formats/epoch_time.hpp). An absent field is
// missing_field, an unreadable one bad_timestamp. For line payloads the unit applies to the
// line's integer timestamp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

#include "adapters/adapter.hpp"
#include "adapters/mqtt/settings.hpp"
#include "adapters/mqtt/template.hpp"
#include "adapters/mqtt/topic_filter.hpp"
#include "core/reading.hpp"
#include "core/result.hpp"
#include "core/units.hpp"

namespace sensorgate::mqtt {

enum class MappingError {
  kBadFilter,    // a subscription filter is not a valid MQTT filter
  kBadTemplate,  // a template uses a capture its filter does not have
};

// How deep a JSON payload may nest arrays and objects (the payload itself is level 1).
inline constexpr int kMaxJsonDepth = 32;

struct MappingOptions {
  Bytes max_payload = 1_MiB;  // larger payloads are rejected as too_large
};

class Mapping {
 public:
  // Compiles the subscriptions. Errors name the subscription's filter and what is wrong. The
  // settings check (adapters/mqtt/settings.cpp) uses the same TopicFilter and Template parsers,
  // so subscriptions of a loaded config do not fail here.
  static Result<Mapping, MappingError> create(const std::vector<Subscription>& subscriptions,
                                              MappingOptions options = {});

  // The readings of one message (possibly none, e.g. an empty list), or why it is rejected:
  // too_large, no_mapping, bad_json, missing_field, bad_number, bad_timestamp, bad_line. The
  // error message describes the payload problem; it does not repeat the topic.
  Result<std::vector<Reading>, adapters::RejectReason> map(std::string_view topic,
                                                           std::string_view payload,
                                                           std::int64_t receive_ts_ns) const;

 private:
  struct NamedMetric {
    Template name;
    std::vector<std::string> path;
    std::string field;
    std::string unit;
  };
  struct Compiled {
    TopicFilter filter;
    PayloadFormat payload;
    Template device;
    Template metric;
    std::string unit;
    std::vector<NamedMetric> metrics;
    std::vector<std::string> readings_path;
    std::vector<std::string> timestamp_path;
    formats::TimestampUnit timestamp_unit;
    std::string topic;
    std::vector<std::pair<std::string, Template>> tags;
  };
  struct Context;  // one message being mapped; defined in mapping.cpp

  Mapping(std::vector<Compiled> subscriptions, MappingOptions options)
      : subscriptions_(std::move(subscriptions)), options_(options) {}

  static Result<std::vector<Reading>, adapters::RejectReason> map_json(const Context& context);
  static Result<std::vector<Reading>, adapters::RejectReason> map_number(const Context& context);
  static Result<std::vector<Reading>, adapters::RejectReason> map_line(const Context& context);
  // Appends the readings of one JSON object to `out`: the payload (`root` nullptr) or an element
  // of its list (`root` the payload, where a timestamp absent from the element is looked up).
  static Status<adapters::RejectReason> map_object(const Context& context,
                                                   simdjson::dom::element object,
                                                   const simdjson::dom::element* root,
                                                   std::vector<Reading>& out);

  std::vector<Compiled> subscriptions_;
  MappingOptions options_;
};

}  // namespace sensorgate::mqtt
