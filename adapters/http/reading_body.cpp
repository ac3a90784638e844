#include "adapters/http/reading_body.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "adapters/formats/influx_batch.hpp"
#include "core/reading_json.hpp"
#include "core/utf8.hpp"

namespace sensorgate::http {
namespace {

using adapters::RejectReason;
using Json = nlohmann::json;

// Keeps the first max_errors errors and counts all of them by reason.
class ErrorCollector {
 public:
  ErrorCollector(ParsedBody& out, std::size_t max_errors) : out_(out), max_errors_(max_errors) {}

  void add(std::optional<std::size_t> position, RejectReason reason, std::string message) {
    ++out_.error_count;
    bool counted = false;
    for (auto& [known, count] : out_.by_reason) {
      if (known == reason) {
        ++count;
        counted = true;
      }
    }
    if (!counted) out_.by_reason.emplace_back(reason, 1);
    if (out_.errors.size() < max_errors_)
      out_.errors.push_back({position, reason, std::move(message)});
  }

 private:
  ParsedBody& out_;
  const std::size_t max_errors_;
};

enum Field : unsigned { kDevice = 1, kMetric = 2, kValue = 4, kUnit = 8, kTs = 16, kTags = 32 };

std::optional<Field> field_of(std::string_view key) {
  if (key == "device") return kDevice;
  if (key == "metric") return kMetric;
  if (key == "value") return kValue;
  if (key == "unit") return kUnit;
  if (key == "ts") return kTs;
  if (key == "tags") return kTags;
  return std::nullopt;
}

// One JSON scalar as the SAX parser reports it.
struct Scalar {
  enum Kind { kNull, kBool, kInteger, kUnsigned, kFloat, kString } kind = kNull;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double number = 0;
  std::string* text = nullptr;  // the parser's string; may be moved from
};

std::string_view kind_name(Scalar::Kind kind) {
  switch (kind) {
    case Scalar::kNull:
      return "null";
    case Scalar::kBool:
      return "boolean";
    case Scalar::kInteger:
    case Scalar::kUnsigned:
    case Scalar::kFloat:
      return "number";
    case Scalar::kString:
      return "string";
  }
  return "value";
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without
// the bracketed id, which tells an HTTP client nothing.
std::string parse_error_text(const std::string& what) {
  const std::size_t close = what.find("] ");
  return close == std::string::npos ? what : what.substr(close + 2);
}

// SAX events of one JSON text into readings. `array_of_items`: the text is an array whose
// elements are reading objects (positions = indexes); otherwise it is one reading object (the
// position is `line`).
class ReadingEvents {
 public:
  ReadingEvents(bool array_of_items, std::size_t line, const BodyOptions& options, ParsedBody& out,
                ErrorCollector& errors)
      : array_(array_of_items),
        item_depth_(array_of_items ? 2 : 1),
        line_(line),
        options_(options),
        out_(out),
        errors_(errors) {}

  // The error that ended the parse early, if any.
  const std::optional<std::string>& fatal() const { return fatal_; }

  bool null() { return scalar({}); }
  bool boolean(bool value) { return scalar({.kind = Scalar::kBool, .boolean = value}); }
  bool number_integer(std::int64_t value) {
    return scalar({.kind = Scalar::kInteger, .integer = value});
  }
  bool number_unsigned(std::uint64_t value) {
    return scalar({.kind = Scalar::kUnsigned, .unsigned_integer = value});
  }
  bool number_float(double value, const std::string&) {
    return scalar({.kind = Scalar::kFloat, .number = value});
  }
  bool string(std::string& value) { return scalar({.kind = Scalar::kString, .text = &value}); }
  bool binary(Json::binary_t&) { return scalar({}); }
  bool start_object(std::size_t) { return start(true); }
  bool start_array(std::size_t) { return start(false); }
  bool end_object() { return end(); }
  bool end_array() { return end(); }

  bool key(std::string& key) {
    if (skipping()) return true;
    if (in_tags_ && depth_ == item_depth_ + 1) {
      tag_key_ = std::move(key);
      return true;
    }
    if (!in_item_ || depth_ != item_depth_) return true;
    key_ = std::move(key);
    const auto field = field_of(key_);
    if (!field) {
      item_error(RejectReason::kBadJson,
                 "unknown key \"" + key_ + "\"; expected device, metric, value, unit, ts, tags");
    } else if ((seen_ & *field) != 0) {
      item_error(RejectReason::kBadJson, "key \"" + key_ + "\" appears twice");
    } else {
      seen_ |= *field;
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    fatal_ = "not valid JSON: " + parse_error_text(error.what());
    return false;
  }

 private:
  bool skipping() const { return skip_to_ > 0 && depth_ >= skip_to_; }

  std::optional<std::size_t> position() const {
    return array_ ? std::optional<std::size_t>(index_) : std::optional<std::size_t>(line_);
  }

  // The first problem of the current item is the one reported.
  void item_error(RejectReason reason, std::string message) {
    if (item_error_) return;
    item_error_ = true;
    errors_.add(position(), reason, std::move(message));
  }

  bool start(bool object) {
    ++depth_;
    if (depth_ > kMaxJsonDepth) {
      fatal_ = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    if (skipping()) return true;
    if (depth_ == 1) {
      if (array_ && !object) return true;  // the list of items
      if (array_) {
        fatal_ =
            "the body is a JSON object; expected an array of readings (or NDJSON with "
            "Content-Type application/x-ndjson)";
        return false;
      }
      if (object) return begin_item();
      errors_.add(position(), RejectReason::kBadJson, "a JSON array; expected a reading object");
      skip_to_ = depth_;
      return true;
    }
    if (array_ && depth_ == 2) {
      if (object) return begin_item();
      errors_.add(index_, RejectReason::kBadJson, "a JSON array; expected a reading object");
      skip_to_ = depth_;
      return true;
    }
    if (in_item_ && depth_ == item_depth_ + 1 && !in_tags_) {
      if (key_ == "tags" && object && !item_error_) {
        in_tags_ = true;
        return true;
      }
      field_error(object ? "an object" : "an array");
    } else if (in_tags_) {
      item_error(RejectReason::kBadJson, "tags." + tag_key_ + " is " +
                                             (object ? "an object" : "an array") +
                                             "; tag values are strings");
    }
    skip_to_ = depth_;
    return true;
  }

  bool end() {
    if (skip_to_ > 0 && depth_ == skip_to_) {
      skip_to_ = 0;
      if (array_ && depth_ == 2) ++index_;
    } else if (skipping()) {
      // inside a skipped value
    } else if (in_tags_ && depth_ == item_depth_ + 1) {
      in_tags_ = false;
    } else if (in_item_ && depth_ == item_depth_) {
      finish_item();
    }
    --depth_;
    return true;
  }

  bool begin_item() {
    in_item_ = true;
    item_error_ = false;
    seen_ = 0;
    item_ = Reading{};
    item_.ts_ns = options_.receive_ts_ns;
    item_.topic = std::string(options_.topic);
    return true;
  }

  void finish_item() {
    in_item_ = false;
    if (!item_error_) {
      if ((seen_ & kDevice) == 0) {
        item_error(RejectReason::kMissingField, "device is missing");
      } else if ((seen_ & kMetric) == 0) {
        item_error(RejectReason::kMissingField, "metric is missing");
      } else if ((seen_ & kValue) == 0) {
        item_error(RejectReason::kMissingField, "value is missing");
      }
    }
    if (!item_error_) out_.readings.push_back(std::move(item_));
    if (array_) ++index_;
  }

  void field_error(std::string_view got) {
    const std::string what(got);
    if (key_ == "device" || key_ == "metric") {
      item_error(RejectReason::kMissingField,
                 key_ + " is " + what + "; expected a non-empty string");
    } else if (key_ == "value") {
      item_error(RejectReason::kBadNumber,
                 "value is " + what + "; expected a finite number, true, false or a string");
    } else if (key_ == "ts") {
      item_error(RejectReason::kBadTimestamp,
                 "ts is " + what + "; expected RFC 3339 text or epoch milliseconds");
    } else {
      item_error(RejectReason::kBadJson,
                 key_ + " is " + what + "; expected " +
                     (key_ == "tags" ? "an object of strings" : "a string"));
    }
  }

  bool scalar(Scalar value) {
    if (skipping()) return true;
    if (depth_ == 0) {
      if (array_) {
        fatal_ = "the body is a JSON " + std::string(kind_name(value.kind)) +
                 "; expected an array of readings";
        return false;
      }
      errors_.add(position(), RejectReason::kBadJson,
                  "a JSON " + std::string(kind_name(value.kind)) + "; expected a reading object");
      return true;
    }
    if (array_ && depth_ == 1) {
      errors_.add(index_++, RejectReason::kBadJson,
                  "a JSON " + std::string(kind_name(value.kind)) + "; expected a reading object");
      return true;
    }
    if (in_tags_ && depth_ == item_depth_ + 1) {
      if (value.kind != Scalar::kString) {
        item_error(RejectReason::kBadJson, "tags." + tag_key_ + " is a " +
                                               std::string(kind_name(value.kind)) +
                                               "; tag values are strings");
      } else if (!item_error_) {
        item_.tags.emplace_back(std::move(tag_key_), std::move(*value.text));
      }
      return true;
    }
    if (!in_item_ || depth_ != item_depth_ || item_error_) return true;
    set_field(value);
    return true;
  }

  void set_field(Scalar& value) {
    const auto a = [&] { return "a " + std::string(kind_name(value.kind)); };
    if (key_ == "device" || key_ == "metric" || key_ == "unit") {
      if (value.kind != Scalar::kString || (key_ != "unit" && value.text->empty())) {
        field_error(value.kind == Scalar::kString ? "empty" : a());
        return;
      }
      std::string& target = key_ == "device"   ? item_.device
                            : key_ == "metric" ? item_.metric
                                               : item_.unit;
      target = std::move(*value.text);
    } else if (key_ == "value") {
      switch (value.kind) {
        case Scalar::kBool:
          item_.value = value.boolean;
          return;
        case Scalar::kInteger:
          item_.value = static_cast<double>(value.integer);
          return;
        case Scalar::kUnsigned:
          item_.value = static_cast<double>(value.unsigned_integer);
          return;
        case Scalar::kFloat:
          if (!std::isfinite(value.number)) {
            item_error(RejectReason::kBadNumber, "value is not a finite number");
            return;
          }
          item_.value = value.number;
          return;
        case Scalar::kString:
          item_.value = std::move(*value.text);
          return;
        case Scalar::kNull:
          field_error("null");
          return;
      }
    } else if (key_ == "ts") {
      set_timestamp(value);
    } else if (key_ == "tags") {
      field_error(a());
    }
  }

  void set_timestamp(const Scalar& value) {
    Result<std::int64_t, RejectReason> ns =
        make_error(RejectReason::kBadTimestamp, "expected RFC 3339 text or epoch milliseconds");
    switch (value.kind) {
      case Scalar::kString:
        ns = formats::text_to_ns(*value.text, formats::TimestampUnit::kRfc3339);
        break;
      case Scalar::kInteger:
        ns = formats::epoch_to_ns(value.integer, formats::TimestampUnit::kMilliseconds);
        break;
      case Scalar::kUnsigned:
        if (value.unsigned_integer <=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          ns = formats::epoch_to_ns(static_cast<std::int64_t>(value.unsigned_integer),
                                    formats::TimestampUnit::kMilliseconds);
        }
        break;
      case Scalar::kFloat:
        ns = formats::epoch_to_ns(value.number, formats::TimestampUnit::kMilliseconds);
        break;
      case Scalar::kBool:
      case Scalar::kNull:
        field_error(value.kind == Scalar::kBool ? "a boolean" : "null");
        return;
    }
    if (!ns.ok()) {
      item_error(RejectReason::kBadTimestamp, "ts: " + ns.error().message);
      return;
    }
    item_.ts_ns = *ns;
  }

  const bool array_;
  const int item_depth_;
  const std::size_t line_;
  const BodyOptions& options_;
  ParsedBody& out_;
  ErrorCollector& errors_;

  int depth_ = 0;
  int skip_to_ = 0;  // > 0: inside a value that is reported already and ignored
  std::size_t index_ = 0;
  bool in_item_ = false;
  bool in_tags_ = false;
  bool item_error_ = false;
  unsigned seen_ = 0;
  std::string key_;
  std::string tag_key_;
  Reading item_;
  std::optional<std::string> fatal_;
};

void parse_json_array(std::string_view body, const BodyOptions& options, ParsedBody& out,
                      ErrorCollector& errors) {
  ReadingEvents events(true, 0, options, out, errors);
  const bool parsed = Json::sax_parse(body.begin(), body.end(), &events);
  if (!parsed || events.fatal()) {
    out = ParsedBody{};  // the items seen before the fatal error do not matter
    errors.add(std::nullopt, RejectReason::kBadJson, events.fatal().value_or("not valid JSON"));
  }
}

void parse_ndjson(std::string_view body, const BodyOptions& options, ParsedBody& out,
                  ErrorCollector& errors) {
  std::size_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    const std::size_t newline = body.find('\n');
    std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline == std::string_view::npos ? body.size() : newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::size_t readings_before = out.readings.size();
    ReadingEvents events(false, line_number, options, out, errors);
    const bool parsed = Json::sax_parse(line.begin(), line.end(), &events);
    if (!parsed || events.fatal()) {
      out.readings.resize(readings_before);
      errors.add(line_number, RejectReason::kBadJson, events.fatal().value_or("not valid JSON"));
    }
  }
}

// `text` with every byte that is not valid UTF-8 replaced by U+FFFD: parser messages quote the
// client's bytes, and the answer must stay valid JSON.
std::string valid_utf8(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t invalid = first_invalid_utf8(text);
    out.append(text.substr(0, invalid));
    if (invalid == text.size()) break;
    out += "\xEF\xBF\xBD";
    text.remove_prefix(invalid + 1);
  }
  return out;
}

}  // namespace

ParsedBody parse_body(std::string_view body, const BodyOptions& options) {
  ParsedBody out;
  ErrorCollector errors(out, options.max_errors);
  switch (options.format) {
    case BodyFormat::kJsonArray:
      parse_json_array(body, options, out, errors);
      break;
    case BodyFormat::kNdjson:
      parse_ndjson(body, options, out, errors);
      break;
    case BodyFormat::kInfluxLines: {
      formats::LineReadingOptions line_options;
      line_options.timestamp_unit = options.line_precision;
      line_options.receive_ts_ns = options.receive_ts_ns;
      line_options.topic = options.topic;
      (void)formats::append_influx_lines(
          body, line_options, out.readings,
          [&](std::size_t line, RejectReason reason, std::string message) {
            errors.add(line, reason, std::move(message));
          });
      break;
    }
  }
  return out;
}

std::string errors_json(const ParsedBody& parsed, BodyFormat format) {
  const char* position_key = format == BodyFormat::kJsonArray ? "index" : "line";
  std::string out = "{\"error\":";
  append_json_string(out, std::to_string(parsed.error_count) +
                              " bad item(s); nothing of the "
                              "request was stored");
  out += ",\"rejected\":" + std::to_string(parsed.error_count) + ",\"items\":[";
  bool first = true;
  for (const ItemError& error : parsed.errors) {
    out += first ? "{" : ",{";
    first = false;
    if (error.position) {
      out += "\"" + std::string(position_key) + "\":" + std::to_string(*error.position) + ",";
    }
    out += "\"reason\":";
    append_json_string(out, adapters::reject_reason_name(error.reason));
    out += ",\"message\":";
    append_json_string(out, valid_utf8(error.message));
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace sensorgate::http
