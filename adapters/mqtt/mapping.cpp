#include "adapters/mqtt/mapping.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>

#include "adapters/formats/epoch_time.hpp"
#include "adapters/formats/influx_line.hpp"
#include "core/utf8.hpp"

namespace sensorgate::mqtt {

using adapters::RejectReason;
using Json = simdjson::dom::element;

struct Mapping::Context {
  const Compiled& sub;
  std::string_view payload;
  std::int64_t receive_ts_ns;
  std::span<const std::string_view> captures;
  std::string device;  // the expanded device template
  Tags tags;           // the expanded constant tags
};

namespace {

std::vector<std::string> split_path(std::string_view dotted) {
  std::vector<std::string> path;
  if (dotted.empty()) return path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    path.emplace_back(dotted.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return path;
    start = dot + 1;
  }
}

std::string join_path(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& segment : path) {
    if (!out.empty()) out += '.';
    out += segment;
  }
  return out;
}

// The node at `path` below `node`; nullopt if absent or null.
std::optional<Json> lookup(Json node, const std::vector<std::string>& path) {
  for (const std::string& segment : path) {
    if (node.is_object()) {
      if (node.at_key(segment).get(node) != simdjson::SUCCESS) {
        return std::nullopt;
      }
    } else if (node.is_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || ptr != segment.data() + segment.size() ||
          node.at(index).get(node) != simdjson::SUCCESS) {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }
  if (node.is_null()) return std::nullopt;
  return node;
}

// The JSON type of `node` as messages name it.
std::string_view type_name(Json node) {
  switch (node.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return "number";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

// The value of `node`, whose type the caller has checked.
template <typename T>
T as(Json node) {
  T value{};
  if (node.get(value) != simdjson::SUCCESS) return T{};
  return value;
}

std::string_view string_of(Json node) {
  return as<std::string_view>(node);
}

// Payloads up to this size are parsed by the receiving thread's parser, which keeps its buffers
// (about 14 bytes per payload byte: 224 KiB) for the next message; a larger one gets a parser of
// its own, freed with it, so that one large message does not hold memory for the life of the
// thread.
constexpr std::size_t kKeptParserBytes = 16 << 10;

// Parses `payload` into `root` with a parser that refuses more than kMaxJsonDepth levels
// (DEPTH_ERROR); `own` holds the parser of a large payload, and must outlive `root`.
simdjson::error_code parse_json(std::string_view payload, std::optional<simdjson::dom::parser>& own,
                                Json& root) {
  thread_local simdjson::dom::parser kept;
  thread_local bool kept_allocated = false;
  simdjson::dom::parser* parser = &kept;
  if (payload.size() > kKeptParserBytes) {
    parser = &own.emplace();
    if (const auto error = parser->allocate(payload.size(), kMaxJsonDepth); error) return error;
  } else if (!kept_allocated) {
    if (const auto error = kept.allocate(kKeptParserBytes, kMaxJsonDepth); error) return error;
    kept_allocated = true;
  }
  return parser->parse(payload.data(), payload.size()).get(root);
}

// The start of a payload for messages: at most 40 bytes, control bytes and bytes that are not
// UTF-8 as '?', so that the message itself is valid UTF-8 wherever it is shown.
std::string snippet(std::string_view payload) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  std::string_view head = payload.substr(0, kMax);
  while (!head.empty()) {
    const std::size_t valid = first_invalid_utf8(head);
    for (char c : head.substr(0, valid)) {
      out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
    }
    if (valid == head.size()) break;
    out.push_back('?');
    head.remove_prefix(valid + 1);
  }
  out += payload.size() > kMax ? "\"..." : "\"";
  return out;
}

Result<ReadingValue, RejectReason> to_value(Json node, std::string_view field) {
  switch (node.type()) {
    case simdjson::dom::element_type::BOOL:
      return ReadingValue(as<bool>(node));
    case simdjson::dom::element_type::STRING:
      return ReadingValue(std::string(string_of(node)));
    // The parser refuses numbers beyond double's range as invalid JSON: a parsed one is finite.
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return ReadingValue(as<double>(node));
    default:
      return make_error(RejectReason::kBadNumber, "field " + std::string(field) + " is a JSON " +
                                                      std::string(type_name(node)) +
                                                      ", expected a number, boolean or string");
  }
}

Result<std::int64_t, RejectReason> json_timestamp(Json node, const std::string& field,
                                                  formats::TimestampUnit unit) {
  Result<std::int64_t, RejectReason> ns =
      make_error(RejectReason::kBadTimestamp, "is a JSON " + std::string(type_name(node)) +
                                                  ", expected a number or RFC 3339 text");
  switch (node.type()) {
    case simdjson::dom::element_type::UINT64:  // only integers above INT64_MAX are UINT64
      ns = make_error(RejectReason::kBadTimestamp, "is beyond the year 2262");
      break;
    case simdjson::dom::element_type::INT64:
      ns = formats::epoch_to_ns(as<std::int64_t>(node), unit);
      break;
    case simdjson::dom::element_type::DOUBLE:
      ns = formats::epoch_to_ns(as<double>(node), unit);
      break;
    case simdjson::dom::element_type::STRING:
      ns = formats::text_to_ns(string_of(node), unit);
      break;
    default:
      break;
  }
  if (ns.ok()) return ns;
  return make_error(RejectReason::kBadTimestamp,
                    "timestamp field " + field + ": " + ns.error().message);
}

Error<RejectReason> missing(std::string message) {
  return make_error(RejectReason::kMissingField, std::move(message));
}

}  // namespace

namespace {

// `text` as a template over the captures of `filter`, or why not.
Result<Template, MappingError> compile_template(const Subscription& sub, const TopicFilter& filter,
                                                std::string_view what, const std::string& text) {
  auto parsed = Template::parse(text);
  if (!parsed.ok()) {
    return make_error(
        MappingError::kBadTemplate,
        "subscription \"" + sub.filter + "\": " + std::string(what) + " " + parsed.error().message);
  }
  if (parsed->highest_capture() > filter.wildcard_count()) {
    return make_error(MappingError::kBadTemplate,
                      "subscription \"" + sub.filter + "\": " + std::string(what) + " \"" + text +
                          "\" uses {" + std::to_string(parsed->highest_capture()) +
                          "} but the filter has " + std::to_string(filter.wildcard_count()) +
                          " wildcard(s)");
  }
  return std::move(parsed).value();
}

}  // namespace

Result<Mapping, MappingError> Mapping::create(const std::vector<Subscription>& subscriptions,
                                              MappingOptions options) {
  std::vector<Compiled> compiled;
  compiled.reserve(subscriptions.size());
  for (const Subscription& sub : subscriptions) {
    auto filter = TopicFilter::parse(sub.filter);
    if (!filter) {
      return make_error(MappingError::kBadFilter,
                        "subscription \"" + sub.filter + "\": not a valid MQTT topic filter");
    }
    auto device = compile_template(sub, *filter, "device", sub.device);
    if (!device.ok()) return device.error();
    // Only number payloads name their metric by template; the others name it themselves.
    auto metric = compile_template(sub, *filter, "metric",
                                   sub.payload == PayloadFormat::kNumber ? sub.metric : "");
    if (!metric.ok()) return metric.error();
    Compiled out{*std::move(filter),
                 sub.payload,
                 std::move(device).value(),
                 std::move(metric).value(),
                 sub.unit,
                 {},
                 split_path(sub.readings_field),
                 split_path(sub.timestamp.field),
                 sub.timestamp.unit,
                 sub.topic,
                 {}};
    for (const MetricField& metric_field : sub.metrics) {
      auto name = compile_template(sub, out.filter, "metric name", metric_field.name);
      if (!name.ok()) return name.error();
      out.metrics.push_back({std::move(name).value(), split_path(metric_field.field),
                             metric_field.field, metric_field.unit});
    }
    for (const auto& [key, value] : sub.tags) {
      auto tag = compile_template(sub, out.filter, "tag " + key, value);
      if (!tag.ok()) return tag.error();
      out.tags.emplace_back(key, std::move(tag).value());
    }
    compiled.push_back(std::move(out));
  }
  return Mapping(std::move(compiled), options);
}

Result<std::vector<Reading>, RejectReason> Mapping::map(std::string_view topic,
                                                        std::string_view payload,
                                                        std::int64_t receive_ts_ns) const {
  if (payload.size() > options_.max_payload.count) {
    return make_error(RejectReason::kTooLarge,
                      "payload of " + std::to_string(payload.size()) + " bytes is above the " +
                          std::to_string(options_.max_payload.count) + " bytes limit");
  }
  std::vector<std::string_view> captures;
  const Compiled* sub = nullptr;
  for (const Compiled& candidate : subscriptions_) {
    if (candidate.filter.match(topic, captures)) {
      sub = &candidate;
      break;
    }
  }
  if (sub == nullptr) return make_error(RejectReason::kNoMapping, "no subscription matches");

  Context context{*sub, payload, receive_ts_ns, captures, sub->device.expand(captures), {}};
  context.tags.reserve(sub->tags.size());
  for (const auto& [key, value] : sub->tags) context.tags.emplace_back(key, value.expand(captures));

  Result<std::vector<Reading>, RejectReason> readings = std::vector<Reading>();
  switch (sub->payload) {
    case PayloadFormat::kJson:
      readings = map_json(context);
      break;
    case PayloadFormat::kNumber:
      readings = map_number(context);
      break;
    case PayloadFormat::kLine:
      readings = map_line(context);
      break;
  }
  if (!readings.ok()) return readings;
  for (const Reading& reading : *readings) {
    if (reading.device.empty()) {
      return missing("device template \"" + sub->device.text() + "\" gives an empty device");
    }
    if (reading.metric.empty()) return missing("a reading has an empty metric name");
  }
  return readings;
}

Result<std::vector<Reading>, RejectReason> Mapping::map_number(const Context& context) {
  std::string_view text = context.payload;
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    return make_error(RejectReason::kBadNumber,
                      "payload " + snippet(context.payload) + " is not a finite number");
  }
  Reading reading;
  reading.device = context.device;
  reading.metric = context.sub.metric.expand(context.captures);
  reading.value = value;
  reading.unit = context.sub.unit;
  reading.ts_ns = context.receive_ts_ns;
  reading.tags = context.tags;
  reading.topic = context.sub.topic;
  std::vector<Reading> out;
  out.push_back(std::move(reading));
  return out;
}

Result<std::vector<Reading>, RejectReason> Mapping::map_line(const Context& context) {
  formats::LineReadingOptions options;
  options.fallback_device = context.device;
  options.timestamp_unit = context.sub.timestamp_unit;
  options.receive_ts_ns = context.receive_ts_ns;
  options.topic = context.sub.topic;
  auto readings = formats::influx_lines_to_readings(context.payload, options);
  if (!readings.ok()) return readings;
  for (Reading& reading : *readings) {
    reading.tags.insert(reading.tags.end(), context.tags.begin(), context.tags.end());
  }
  return readings;
}

Result<std::vector<Reading>, RejectReason> Mapping::map_json(const Context& context) {
  std::string_view payload = context.payload;
  // A UTF-8 byte order mark, as some device firmwares send, is not part of the JSON text.
  if (payload.starts_with("\xEF\xBB\xBF")) payload.remove_prefix(3);
  std::optional<simdjson::dom::parser> own_parser;
  Json root;
  if (const auto error = parse_json(payload, own_parser, root); error != simdjson::SUCCESS) {
    if (error == simdjson::DEPTH_ERROR) {
      return make_error(RejectReason::kBadJson, "payload " + snippet(context.payload) +
                                                    " nests deeper than " +
                                                    std::to_string(kMaxJsonDepth) + " levels");
    }
    return make_error(RejectReason::kBadJson,
                      "payload " + snippet(context.payload) + " is not valid JSON");
  }
  std::vector<Reading> out;
  std::optional<Json> list;
  std::string list_name = "payload";
  if (!context.sub.readings_path.empty()) {
    list_name = join_path(context.sub.readings_path);
    list = lookup(root, context.sub.readings_path);
    if (!list) return missing("field " + list_name + " is missing");
    if (!list->is_array()) return missing("field " + list_name + " is not an array");
  } else if (root.is_array()) {
    list = root;
  }
  if (!list) {
    if (!root.is_object()) {
      return missing("payload is a JSON " + std::string(type_name(root)) + ", expected an object");
    }
    auto status = map_object(context, root, nullptr, out);
    if (!status.ok()) return status.error();
    return out;
  }
  std::size_t index = 0;
  for (const Json element : as<simdjson::dom::array>(*list)) {
    // Named only when rejected: the good elements of a list are the hot path.
    const auto where = [&] { return list_name + "[" + std::to_string(index) + "]"; };
    if (!element.is_object()) return missing(where() + " is not an object");
    auto status = map_object(context, element, &root, out);
    if (!status.ok()) {
      return make_error(status.error().code, where() + ": " + status.error().message);
    }
    ++index;
  }
  return out;
}

Status<RejectReason> Mapping::map_object(const Context& context, Json object, const Json* root,
                                         std::vector<Reading>& out) {
  const Compiled& sub = context.sub;
  std::int64_t ts_ns = context.receive_ts_ns;
  if (!sub.timestamp_path.empty()) {
    const std::string field = join_path(sub.timestamp_path);
    std::optional<Json> node = lookup(object, sub.timestamp_path);
    if (!node && root != nullptr) node = lookup(*root, sub.timestamp_path);
    if (!node) return missing("timestamp field " + field + " is missing");
    auto ns = json_timestamp(*node, field, sub.timestamp_unit);
    if (!ns.ok()) return ns.error();
    ts_ns = *ns;
  }
  const auto add = [&](std::string device, std::string metric, ReadingValue value, std::string unit,
                       Tags tags) {
    tags.insert(tags.end(), context.tags.begin(), context.tags.end());
    // In place: a Reading built and then moved in costs ~160 instructions more.
    out.emplace_back(std::move(device), std::move(metric), std::move(value), std::move(unit), ts_ns,
                     std::move(tags), sub.topic);
  };

  if (!sub.metrics.empty()) {
    const std::size_t before = out.size();
    for (const NamedMetric& metric : sub.metrics) {
      const std::optional<Json> node = lookup(object, metric.path);
      if (!node) continue;
      auto value = to_value(*node, metric.field);
      if (!value.ok()) return value.error();
      add(context.device, metric.name.expand(context.captures), std::move(*value), metric.unit, {});
    }
    if (out.size() == before) {
      std::string names;
      for (const NamedMetric& metric : sub.metrics) {
        names += (names.empty() ? "" : ", ") + metric.field;
      }
      return missing("none of the fields " + names + " is present");
    }
    return Status<RejectReason>::success();
  }

  Json metric;
  Json value_node;
  if (object.at_key("metric").get(metric) == simdjson::SUCCESS &&
      object.at_key("value").get(value_node) == simdjson::SUCCESS) {
    if (!metric.is_string()) return missing("field metric is not a string");
    auto value = to_value(value_node, "value");
    if (!value.ok()) return value.error();
    std::string device = context.device;
    std::string unit;
    Tags tags;
    Json field;
    if (object.at_key("device").get(field) == simdjson::SUCCESS && field.is_string()) {
      device = string_of(field);
    }
    if (object.at_key("unit").get(field) == simdjson::SUCCESS && field.is_string()) {
      unit = string_of(field);
    }
    if (object.at_key("tags").get(field) == simdjson::SUCCESS && field.is_object()) {
      for (const auto [key, tag] : as<simdjson::dom::object>(field)) {
        tags.emplace_back(std::string(key),
                          tag.is_string() ? std::string(string_of(tag)) : simdjson::minify(tag));
      }
    }
    add(std::move(device), std::string(string_of(metric)), std::move(*value), std::move(unit),
        std::move(tags));
    return Status<RejectReason>::success();
  }

  const std::size_t before = out.size();
  const bool skip_timestamp = sub.timestamp_path.size() == 1;
  for (const auto [key, node] : as<simdjson::dom::object>(object)) {
    if (skip_timestamp && key == sub.timestamp_path.front()) continue;
    if (!node.is_number() && !node.is_bool()) continue;
    auto value = to_value(node, key);
    if (!value.ok()) return value.error();
    add(context.device, std::string(key), std::move(*value), {}, {});
  }
  if (out.size() == before) return missing("the object has no number or boolean field");
  return Status<RejectReason>::success();
}

}  // namespace sensorgate::mqtt
