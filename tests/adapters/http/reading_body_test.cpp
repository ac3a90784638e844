// The bodies of POST /v1/readings and /v1/lines: shapes, per-item reasons, nesting and UTF-8.
#include "adapters/http/reading_body.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

namespace sensorgate::http {
namespace {

using adapters::RejectReason;

constexpr std::int64_t kReceived = 1'700'000'000'000'000'000;

ParsedBody parse(std::string_view body, BodyFormat format = BodyFormat::kJsonArray) {
  BodyOptions options;
  options.format = format;
  options.receive_ts_ns = kReceived;
  options.topic = "t";
  return parse_body(body, options);
}

TEST_CASE("a JSON array of readings gives one reading per object, ts as RFC 3339 or epoch ms") {
  const ParsedBody parsed = parse(
      R"([{"device":"d1","metric":"temp","value":21.5,"unit":"C","ts":"2025-11-23T00:00:00.5Z",)"
      R"("tags":{"site":"a","line":"2"}},)"
      R"({"device":"d2","metric":"open","value":true,"ts":1763856000000},)"
      R"({"device":"d3","metric":"state","value":"running"}])");
  REQUIRE(parsed.error_count == 0);
  REQUIRE(parsed.readings.size() == 3);
  const Reading& first = parsed.readings[0];
  CHECK(first.device == "d1");
  CHECK(first.metric == "temp");
  CHECK(std::get<double>(first.value) == 21.5);
  CHECK(first.unit == "C");
  CHECK(first.ts_ns == 1'763'856'000'500'000'000);
  CHECK(first.tags == Tags{{"site", "a"}, {"line", "2"}});
  CHECK(first.topic == "t");
  CHECK(std::get<bool>(parsed.readings[1].value));
  CHECK(parsed.readings[1].ts_ns == 1'763'856'000'000'000'000);
  CHECK(std::get<std::string>(parsed.readings[2].value) == "running");
  CHECK(parsed.readings[2].ts_ns == kReceived);
}

TEST_CASE("every bad item of an array is named by index with its reason, the good ones kept") {
  const ParsedBody parsed = parse(R"([{"device":"d","metric":"m","value":1},)"
                                  R"({"metric":"m","value":1},)"
                                  R"({"device":"d","metric":"m","value":[1,[2]]},)"
                                  R"(7,)"
                                  R"({"device":"d","metric":"m","value":1,"ts":"yesterday"},)"
                                  R"({"device":"d","metric":"m","value":1,"vlaue":2},)"
                                  R"({"device":"d","metric":"m","value":1,"tags":{"a":1}},)"
                                  R"({"device":"d","metric":"m","value":2}])");
  CHECK(parsed.readings.size() == 2);
  REQUIRE(parsed.error_count == 6);
  std::vector<std::pair<std::size_t, RejectReason>> got;
  for (const ItemError& error : parsed.errors) got.emplace_back(*error.position, error.reason);
  CHECK(got == std::vector<std::pair<std::size_t, RejectReason>>{{1, RejectReason::kMissingField},
                                                                 {2, RejectReason::kBadNumber},
                                                                 {3, RejectReason::kBadJson},
                                                                 {4, RejectReason::kBadTimestamp},
                                                                 {5, RejectReason::kBadJson},
                                                                 {6, RejectReason::kBadJson}});
  CHECK(parsed.errors[0].message == "device is missing");
  CHECK(parsed.errors[2].message == "a JSON number; expected a reading object");
  CHECK(parsed.errors[4].message ==
        "unknown key \"vlaue\"; expected device, metric, value, unit, ts, tags");
  CHECK(parsed.errors[5].message == "tags.a is a number; tag values are strings");
}

TEST_CASE("the 400 answer lists each bad item with index, reason and message") {
  const ParsedBody parsed = parse(R"([{"device":"d","metric":"m"}])");
  const auto json = nlohmann::json::parse(errors_json(parsed, BodyFormat::kJsonArray));
  CHECK(json["rejected"] == 1);
  CHECK(json["items"][0]["index"] == 0);
  CHECK(json["items"][0]["reason"] == "missing_field");
  CHECK(json["items"][0]["message"] == "value is missing");
}

TEST_CASE("a body nested 100,000 arrays deep is one bad_json error, not a crash") {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const ParsedBody parsed = parse(deep);
  CHECK(parsed.readings.empty());
  REQUIRE(parsed.error_count == 1);
  CHECK(!parsed.errors[0].position.has_value());
  CHECK(parsed.errors[0].message == "JSON nested deeper than 8 levels");
  const ParsedBody as_ndjson = parse(std::string(100'000, '{'), BodyFormat::kNdjson);
  CHECK(as_ndjson.error_count == 1);
}

TEST_CASE("a body that is not JSON, or not an array, is one error for the whole body") {
  CHECK(parse(R"([{"device":"d",)").errors.at(0).message.starts_with("not valid JSON: "));
  CHECK(parse(R"({"device":"d","metric":"m","value":1})").errors.at(0).message ==
        "the body is a JSON object; expected an array of readings (or NDJSON with Content-Type "
        "application/x-ndjson)");
}

TEST_CASE("invalid UTF-8 in a string is a rejected item, never a reading") {
  const ParsedBody json = parse("[{\"device\":\"d\xff\",\"metric\":\"m\",\"value\":1}]");
  CHECK(json.readings.empty());
  CHECK(json.error_count == 1);
  const ParsedBody lines =
      parse("m,device=ok v=1\nm,device=bad\xc3 v=1\n", BodyFormat::kInfluxLines);
  CHECK(lines.readings.size() == 1);
  REQUIRE(lines.error_count == 1);
  CHECK(*lines.errors[0].position == 2);
  CHECK(lines.errors[0].reason == RejectReason::kBadLine);
  CHECK(lines.errors[0].message == "column 13: not valid UTF-8");
  // The answer stays valid JSON even when a parser quotes the client's bytes.
  CHECK_NOTHROW(nlohmann::json::parse(errors_json(json, BodyFormat::kJsonArray)));
}

TEST_CASE("NDJSON reports bad objects by line number and skips blank lines") {
  const ParsedBody parsed = parse(
      "{\"device\":\"d\",\"metric\":\"m\",\"value\":1}\n"
      "\n"
      "{\"device\":\"d\",\"metric\":\"m\",\"value\":null}\r\n"
      "not json\n"
      "{\"device\":\"d\",\"metric\":\"m\",\"value\":3}",
      BodyFormat::kNdjson);
  CHECK(parsed.readings.size() == 2);
  REQUIRE(parsed.error_count == 2);
  CHECK(*parsed.errors[0].position == 3);
  CHECK(parsed.errors[0].reason == RejectReason::kBadNumber);
  CHECK(*parsed.errors[1].position == 4);
  CHECK(parsed.errors[1].reason == RejectReason::kBadJson);
}

TEST_CASE("line protocol names each bad line and honours the precision") {
  BodyOptions options;
  options.format = BodyFormat::kInfluxLines;
  options.line_precision = formats::TimestampUnit::kSeconds;
  const ParsedBody parsed = parse_body(
      "climate,device=hall-1 temp=21.5,hum=40 1763856000\n"
      "climate temp=1\n"
      "garbage\n"
      "temp,device=hall-2 value=3i\n",
      options);
  REQUIRE(parsed.readings.size() == 3);
  CHECK(parsed.readings[0].ts_ns == 1'763'856'000'000'000'000);
  CHECK(parsed.readings[2].metric == "temp");
  REQUIRE(parsed.error_count == 2);
  CHECK(*parsed.errors[0].position == 2);
  CHECK(parsed.errors[0].reason == RejectReason::kMissingField);
  CHECK(*parsed.errors[1].position == 3);
  CHECK(parsed.errors[1].reason == RejectReason::kBadLine);
}

TEST_CASE("only the first max_errors bad items are listed, all are counted") {
  std::string body = "[";
  for (int i = 0; i < 500; ++i) body += std::string(i ? "," : "") + "{}";
  body += "]";
  const ParsedBody parsed = parse(body);
  CHECK(parsed.error_count == 500);
  CHECK(parsed.errors.size() == 100);
  REQUIRE(parsed.by_reason.size() == 1);
  CHECK(parsed.by_reason[0] == std::pair{RejectReason::kMissingField, std::size_t{500}});
}

}  // namespace
}  // namespace sensorgate::http
