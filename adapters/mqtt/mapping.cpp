#include "adapters/mqtt/mapping.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>

#include "adapters/formats/epoch_time.hpp"
#include "adapters/formats/influx_line.hpp"
#include "core/utf8.hpp"

namespace sensorgate::mqtt {

using adapters::RejectReason;
using Json = nlohmann::ordered_json;

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

// The node at `path` below `node`; nullptr if absent or null.
const Json* lookup(const Json& node, const std::vector<std::string>& path) {
  const Json* current = &node;
  for (const std::string& segment : path) {
    if (current->is_object()) {
      auto it = current->find(segment);
      if (it == current->end()) return nullptr;
      current = &*it;
    } else if (current->is_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || ptr != segment.data() + segment.size() || index >= current->size()) {
        return nullptr;
      }
      current = &(*current)[index];
    } else {
      return nullptr;
    }
  }
  return current->is_null() ? nullptr : current;
}

// True if `json` nests arrays and objects deeper than `limit` (brackets inside strings do not
// count). Checked before parsing: nlohmann builds a tree of any depth, but dump() (of a nested
// tag value) recurses once per level, and 100,000 levels overflowed the stack.
bool nests_deeper_than(std::string_view json, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
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

Result<ReadingValue, RejectReason> to_value(const Json& node, const std::string& field) {
  if (node.is_boolean()) return ReadingValue(node.get<bool>());
  if (node.is_string()) return ReadingValue(node.get<std::string>());
  // nlohmann refuses numbers beyond double's range as invalid JSON: a parsed one is finite.
  if (node.is_number()) return ReadingValue(node.get<double>());
  return make_error(RejectReason::kBadNumber, "field " + field + " is a JSON " +
                                                  std::string(node.type_name()) +
                                                  ", expected a number, boolean or string");
}

Result<std::int64_t, RejectReason> json_timestamp(const Json& node, const std::string& field,
                                                  formats::TimestampUnit unit) {
  Result<std::int64_t, RejectReason> ns =
      make_error(RejectReason::kBadTimestamp, "is a JSON " + std::string(node.type_name()) +
                                                  ", expected a number or RFC 3339 text");
  if (node.is_number_unsigned()) {
    const auto value = node.get<std::uint64_t>();
    ns = value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? Result<std::int64_t, RejectReason>(
                   make_error(RejectReason::kBadTimestamp, "is beyond the year 2262"))
             : formats::epoch_to_ns(static_cast<std::int64_t>(value), unit);
  } else if (node.is_number_integer()) {
    ns = formats::epoch_to_ns(node.get<std::int64_t>(), unit);
  } else if (node.is_number_float()) {
    ns = formats::epoch_to_ns(node.get<double>(), unit);
  } else if (node.is_string()) {
    ns = formats::text_to_ns(node.get_ref<const std::string&>(), unit);
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
  if (nests_deeper_than(context.payload, kMaxJsonDepth)) {
    return make_error(RejectReason::kBadJson, "payload " + snippet(context.payload) +
                                                  " nests deeper than " +
                                                  std::to_string(kMaxJsonDepth) + " levels");
  }
  const Json root = Json::parse(context.payload.begin(), context.payload.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return make_error(RejectReason::kBadJson,
                      "payload " + snippet(context.payload) + " is not valid JSON");
  }
  std::vector<Reading> out;
  const Json* list = nullptr;
  std::string list_name = "payload";
  if (!context.sub.readings_path.empty()) {
    list_name = join_path(context.sub.readings_path);
    list = lookup(root, context.sub.readings_path);
    if (list == nullptr) return missing("field " + list_name + " is missing");
    if (!list->is_array()) return missing("field " + list_name + " is not an array");
  } else if (root.is_array()) {
    list = &root;
  }
  if (list == nullptr) {
    if (!root.is_object()) {
      return missing("payload is a JSON " + std::string(root.type_name()) + ", expected an object");
    }
    auto status = map_object(context, root, root, out);
    if (!status.ok()) return status.error();
    return out;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& element = (*list)[i];
    const std::string where = list_name + "[" + std::to_string(i) + "]";
    if (!element.is_object()) return missing(where + " is not an object");
    auto status = map_object(context, element, root, out);
    if (!status.ok()) {
      return make_error(status.error().code, where + ": " + status.error().message);
    }
  }
  return out;
}

Status<RejectReason> Mapping::map_object(const Context& context, const Json& object,
                                         const Json& root, std::vector<Reading>& out) {
  const Compiled& sub = context.sub;
  std::int64_t ts_ns = context.receive_ts_ns;
  if (!sub.timestamp_path.empty()) {
    const std::string field = join_path(sub.timestamp_path);
    const Json* node = lookup(object, sub.timestamp_path);
    if (node == nullptr && &object != &root) node = lookup(root, sub.timestamp_path);
    if (node == nullptr) return missing("timestamp field " + field + " is missing");
    auto ns = json_timestamp(*node, field, sub.timestamp_unit);
    if (!ns.ok()) return ns.error();
    ts_ns = *ns;
  }
  const auto add = [&](std::string device, std::string metric, ReadingValue value, std::string unit,
                       Tags tags) {
    tags.insert(tags.end(), context.tags.begin(), context.tags.end());
    out.push_back(Reading{std::move(device), std::move(metric), std::move(value), std::move(unit),
                          ts_ns, std::move(tags), sub.topic});
  };

  if (!sub.metrics.empty()) {
    const std::size_t before = out.size();
    std::string names;
    for (const NamedMetric& metric : sub.metrics) {
      names += (names.empty() ? "" : ", ") + metric.field;
      const Json* node = lookup(object, metric.path);
      if (node == nullptr) continue;
      auto value = to_value(*node, metric.field);
      if (!value.ok()) return value.error();
      add(context.device, metric.name.expand(context.captures), std::move(*value), metric.unit, {});
    }
    if (out.size() == before) return missing("none of the fields " + names + " is present");
    return Status<RejectReason>::success();
  }

  if (object.contains("metric") && object.contains("value")) {
    const Json& metric = object["metric"];
    if (!metric.is_string()) return missing("field metric is not a string");
    auto value = to_value(object["value"], "value");
    if (!value.ok()) return value.error();
    std::string device = context.device;
    std::string unit;
    Tags tags;
    if (auto it = object.find("device"); it != object.end() && it->is_string()) {
      device = it->get<std::string>();
    }
    if (auto it = object.find("unit"); it != object.end() && it->is_string()) {
      unit = it->get<std::string>();
    }
    if (auto it = object.find("tags"); it != object.end() && it->is_object()) {
      for (const auto& [key, tag] : it->items()) {
        tags.emplace_back(key, tag.is_string() ? tag.get<std::string>() : tag.dump());
      }
    }
    add(std::move(device), metric.get<std::string>(), std::move(*value), std::move(unit),
        std::move(tags));
    return Status<RejectReason>::success();
  }

  const std::size_t before = out.size();
  const bool skip_timestamp = sub.timestamp_path.size() == 1;
  for (const auto& [key, node] : object.items()) {
    if (skip_timestamp && key == sub.timestamp_path.front()) continue;
    if (!node.is_number() && !node.is_boolean()) continue;
    auto value = to_value(node, key);
    if (!value.ok()) return value.error();
    add(context.device, key, std::move(*value), {}, {});
  }
  if (out.size() == before) return missing("the object has no number or boolean field");
  return Status<RejectReason>::success();
}

}  // namespace sensorgate::mqtt
