#include "adapters/mqtt/mapping.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::mqtt {
namespace {

using adapters::RejectReason;
using formats::TimestampUnit;
using mqtt::PayloadFormat;

constexpr std::int64_t kReceiveNs = 1'800'000'000'000'000'000;

mqtt::Subscription subscription(std::string filter, PayloadFormat payload = PayloadFormat::kJson) {
  mqtt::Subscription sub;
  sub.filter = std::move(filter);
  sub.payload = payload;
  return sub;
}

Mapping make_mapping(std::vector<mqtt::Subscription> subs, MappingOptions options = {}) {
  auto mapping = Mapping::create(subs, options);
  REQUIRE(mapping.ok());
  return std::move(mapping).value();
}

std::vector<Reading> map_ok(const Mapping& mapping, std::string_view topic,
                            std::string_view payload) {
  auto readings = mapping.map(topic, payload, kReceiveNs);
  if (!readings.ok()) FAIL("rejected: " << readings.error().message);
  return std::move(readings).value();
}

Error<RejectReason> map_error(const Mapping& mapping, std::string_view topic,
                              std::string_view payload) {
  auto readings = mapping.map(topic, payload, kReceiveNs);
  REQUIRE_FALSE(readings.ok());
  return readings.error();
}

double number(const Reading& reading) {
  return std::get<double>(reading.value);
}

TEST_CASE("json metrics are read from their fields with captures, unit, topic and tags") {
  auto sub = subscription("plant/+/+/telemetry");
  sub.device = "{1}-{2}";
  sub.metrics = {{"temp", "t", "C"}, {"hum", "h", "%"}};
  sub.timestamp.field = "ts";
  sub.topic = "sensors.climate";
  sub.tags = {{"site", "north"}, {"line", "{1}"}};
  const Mapping mapping = make_mapping({sub});

  auto readings =
      map_ok(mapping, "plant/hall/7/telemetry", R"({"t":21.5,"h":40,"ts":1700000000123})");
  REQUIRE(readings.size() == 2);
  CHECK(readings[0].device == "hall-7");
  CHECK(readings[0].metric == "temp");
  CHECK(number(readings[0]) == 21.5);
  CHECK(readings[0].unit == "C");
  CHECK(readings[0].ts_ns == 1'700'000'000'123'000'000);
  CHECK(readings[0].topic == "sensors.climate");
  CHECK(readings[0].tags == Tags{{"site", "north"}, {"line", "hall"}});
  CHECK(readings[1].metric == "hum");
  CHECK(number(readings[1]) == 40.0);
  CHECK(readings[1].unit == "%");
}

TEST_CASE("json metric names may use captures and fields are dotted paths") {
  auto sub = subscription("site/+/+");
  sub.metrics = {{"{2}_inner", "sensors.inner.t", ""}, {"second", "vals.1", ""}};
  const Mapping mapping = make_mapping({sub});
  auto readings =
      map_ok(mapping, "site/dev-1/room", R"({"sensors":{"inner":{"t":5}},"vals":[1,2,3]})");
  REQUIRE(readings.size() == 2);
  CHECK(readings[0].device == "dev-1");
  CHECK(readings[0].metric == "room_inner");
  CHECK(number(readings[0]) == 5.0);
  CHECK(readings[0].ts_ns == kReceiveNs);
  CHECK(readings[1].metric == "second");
  CHECK(number(readings[1]) == 2.0);
}

TEST_CASE("configured json fields that are absent or null are skipped") {
  auto sub = subscription("d/+");
  sub.metrics = {{"temp", "t", ""}, {"hum", "h", ""}};
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(mapping, "d/x", R"({"h":null,"t":3})");
  REQUIRE(readings.size() == 1);
  CHECK(readings[0].metric == "temp");
}

TEST_CASE("json values may be numbers, booleans or strings") {
  auto sub = subscription("d/+");
  sub.metrics = {{"on", "on", ""}, {"state", "s", ""}, {"count", "n", ""}};
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(mapping, "d/x", R"({"on":true,"s":"running","n":-7})");
  REQUIRE(readings.size() == 3);
  CHECK(std::get<bool>(readings[0].value) == true);
  CHECK(std::get<std::string>(readings[1].value) == "running");
  CHECK(number(readings[2]) == -7.0);
}

TEST_CASE("without metrics every top-level number and boolean is a reading, in payload order") {
  auto sub = subscription("d/+");
  sub.timestamp.field = "ts";
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(
      mapping, "d/x", R"({"z":1,"name":"x","ts":1700000000,"a":2.5,"ok":false,"nested":{"q":1}})");
  REQUIRE(readings.size() == 3);
  CHECK(readings[0].metric == "z");
  CHECK(readings[1].metric == "a");
  CHECK(readings[2].metric == "ok");
  CHECK(std::get<bool>(readings[2].value) == false);
  CHECK(readings[0].ts_ns == 1'700'000'000'000'000'000);
}

TEST_CASE("readings_field gives a list of objects, each read like a payload") {
  auto sub = subscription("d/+");
  sub.readings_field = "batch.items";
  sub.metrics = {{"temp", "t", "C"}};
  sub.timestamp.field = "ts";
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(
      mapping, "d/x", R"({"ts":1700000000,"batch":{"items":[{"t":1},{"t":2,"ts":1700000001}]}})");
  REQUIRE(readings.size() == 2);
  CHECK(number(readings[0]) == 1.0);
  CHECK(readings[0].ts_ns == 1'700'000'000'000'000'000);  // from the root
  CHECK(number(readings[1]) == 2.0);
  CHECK(readings[1].ts_ns == 1'700'000'001'000'000'000);  // from the element
  CHECK(map_ok(mapping, "d/x", R"({"ts":1,"batch":{"items":[]}})").empty());
}

TEST_CASE("list elements with metric and value are one reading each, device overridable") {
  auto sub = subscription("gw/+");
  sub.timestamp.field = "ts";
  sub.tags = {{"gateway", "{1}"}};
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(mapping, "gw/g1",
                         R"([{"metric":"temp","value":21,"unit":"C","ts":"2026-11-22T10:00:00Z"},
                             {"device":"other","metric":"hum","value":40,"ts":1700000000,
                              "tags":{"room":"5"}}])");
  REQUIRE(readings.size() == 2);
  CHECK(readings[0].device == "g1");
  CHECK(readings[0].metric == "temp");
  CHECK(readings[0].unit == "C");
  CHECK(readings[0].tags == Tags{{"gateway", "g1"}});
  CHECK(readings[1].device == "other");
  CHECK(readings[1].tags == Tags{{"room", "5"}, {"gateway", "g1"}});
}

TEST_CASE("epoch timestamps are read in the unit their magnitude suggests") {
  auto sub = subscription("d/+");
  sub.metrics = {{"v", "v", ""}};
  sub.timestamp.field = "ts";
  const Mapping mapping = make_mapping({sub});
  const auto ts_of = [&](std::string ts) {
    return map_ok(mapping, "d/x", R"({"v":1,"ts":)" + ts + "}").at(0).ts_ns;
  };
  CHECK(ts_of("1700000000") == 1'700'000'000'000'000'000);
  CHECK(ts_of("1700000000.5") == 1'700'000'000'500'000'000);
  CHECK(ts_of("1700000000123") == 1'700'000'000'123'000'000);
  CHECK(ts_of("1700000000123456") == 1'700'000'000'123'456'000);
  CHECK(ts_of("1700000000123456789") == 1'700'000'000'123'456'789);
  CHECK(ts_of("\"2026-11-22T10:15:30.5+01:00\"") == 1'795'338'930'500'000'000);
  CHECK(ts_of("\"1700000000\"") == 1'700'000'000'000'000'000);
}

TEST_CASE("an explicit timestamp unit is used as given") {
  auto sub = subscription("d/+");
  sub.metrics = {{"v", "v", ""}};
  sub.timestamp = {"ts", TimestampUnit::kMilliseconds};
  const Mapping ms = make_mapping({sub});
  CHECK(map_ok(ms, "d/x", R"({"v":1,"ts":5})").at(0).ts_ns == 5'000'000);
  sub.timestamp.unit = TimestampUnit::kRfc3339;
  const Mapping rfc = make_mapping({sub});
  CHECK(map_ok(rfc, "d/x", R"({"v":1,"ts":"1970-01-01T00:00:01Z"})").at(0).ts_ns == 1'000'000'000);
  auto error = map_error(rfc, "d/x", R"({"v":1,"ts":5})");
  CHECK(error.code == RejectReason::kBadTimestamp);
  CHECK(error.message == "timestamp field ts: a number where RFC 3339 text was expected");
}

TEST_CASE("a number payload is one reading named by the metric template") {
  auto sub = subscription("plant/+/+", PayloadFormat::kNumber);
  sub.device = "{1}";
  sub.metric = "{2}";
  sub.unit = "bar";
  sub.topic = "sensors.p";
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(mapping, "plant/boiler-1/pressure", " 8.25\n");
  REQUIRE(readings.size() == 1);
  CHECK(readings[0].device == "boiler-1");
  CHECK(readings[0].metric == "pressure");
  CHECK(number(readings[0]) == 8.25);
  CHECK(readings[0].unit == "bar");
  CHECK(readings[0].ts_ns == kReceiveNs);
  CHECK(readings[0].topic == "sensors.p");
  CHECK(number(map_ok(mapping, "plant/b/p", "-1e3").at(0)) == -1000.0);
}

TEST_CASE("a line payload takes the device template when a point has no device tag") {
  auto sub = subscription("lines/+", PayloadFormat::kLine);
  sub.tags = {{"src", "mqtt"}};
  const Mapping mapping = make_mapping({sub});
  auto readings = map_ok(mapping, "lines/dev-a",
                         "climate temp=20,hum=30 1700000000000000000\n"
                         "climate,device=dev-b,room=1 temp=21\n");
  REQUIRE(readings.size() == 3);
  CHECK(readings[0].device == "dev-a");
  CHECK(readings[0].ts_ns == 1'700'000'000'000'000'000);
  CHECK(readings[0].tags == Tags{{"src", "mqtt"}});
  CHECK(readings[2].device == "dev-b");
  CHECK(readings[2].tags == Tags{{"room", "1"}, {"src", "mqtt"}});
  CHECK(readings[2].ts_ns == kReceiveNs);
}

// Issue 11 item 7, found again by tests/fuzz/influx_line_fuzz: these reached Kafka as records
// that are not valid JSON.
TEST_CASE("a line payload with invalid UTF-8 is bad_line, naming the line and column") {
  const Mapping mapping = make_mapping({subscription("lines/+", PayloadFormat::kLine)});
  const auto error = map_error(mapping, "lines/dev-a", "m v=1\nm,room=k\xff\xfe v=2\n");
  CHECK(error.code == RejectReason::kBadLine);
  CHECK(error.message == "line 2: column 9: not valid UTF-8");
}

TEST_CASE("the first subscription whose filter matches maps the message") {
  auto specific = subscription("a/special", PayloadFormat::kNumber);
  specific.device = "special";
  specific.metric = "m";
  auto general = subscription("a/+", PayloadFormat::kNumber);
  general.metric = "m";
  const Mapping mapping = make_mapping({specific, general});
  CHECK(map_ok(mapping, "a/special", "1").at(0).device == "special");
  CHECK(map_ok(mapping, "a/other", "1").at(0).device == "other");
}

TEST_CASE("each malformed message is rejected with its reason and message") {
  auto json = subscription("j/+");
  json.metrics = {{"temp", "t", ""}};
  json.timestamp.field = "ts";
  auto list = subscription("l/+");
  list.readings_field = "r";
  auto number = subscription("n/+/+", PayloadFormat::kNumber);
  auto line = subscription("i/+", PayloadFormat::kLine);
  auto empty_device = subscription("e/#", PayloadFormat::kNumber);
  empty_device.metric = "m";
  const Mapping mapping = make_mapping({json, list, number, line, empty_device}, {Bytes{64}});

  struct Case {
    const char* topic;
    std::string payload;
    RejectReason reason;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"other/x", "1", RejectReason::kNoMapping, "no subscription matches"},
      {"j/x", std::string(65, ' '), RejectReason::kTooLarge,
       "payload of 65 bytes is above the 64 bytes limit"},
      {"j/x", R"({"t":1,)", RejectReason::kBadJson, R"(payload "{"t":1," is not valid JSON)"},
      {"j/x", "", RejectReason::kBadJson, R"(payload "" is not valid JSON)"},
      {"j/x", R"({"x":1,"ts":1})", RejectReason::kMissingField, "none of the fields t is present"},
      {"j/x", R"({"t":1})", RejectReason::kMissingField, "timestamp field ts is missing"},
      {"j/x", "[1]", RejectReason::kMissingField, "payload[0] is not an object"},
      {"j/x", "42", RejectReason::kMissingField, "payload is a JSON number, expected an object"},
      {"l/x", R"({"r":{}})", RejectReason::kMissingField, "field r is not an array"},
      {"l/x", R"({"q":[]})", RejectReason::kMissingField, "field r is missing"},
      {"l/x", R"({"r":[{"s":"x"}]})", RejectReason::kMissingField,
       "r[0]: the object has no number or boolean field"},
      {"l/x", R"({"r":[{"metric":1,"value":1}]})", RejectReason::kMissingField,
       "r[0]: field metric is not a string"},
      {"e/", "1", RejectReason::kMissingField, R"(device template "{1}" gives an empty device)"},
      {"j/x", R"({"t":{"a":1},"ts":1})", RejectReason::kBadNumber,
       "field t is a JSON object, expected a number, boolean or string"},
      {"j/x", R"({"t":[1],"ts":1})", RejectReason::kBadNumber,
       "field t is a JSON array, expected a number, boolean or string"},
      {"j/x", R"({"t":1e999,"ts":1})", RejectReason::kBadJson,
       R"(payload "{"t":1e999,"ts":1}" is not valid JSON)"},
      {"n/d/m", "abc", RejectReason::kBadNumber, R"(payload "abc" is not a finite number)"},
      // Bytes that are not UTF-8 show as '?'; a character that is stays.
      {"n/d/m",
       "\xff\xfe 20\xc2\xb0"
       "C \xe2\x82",
       RejectReason::kBadNumber,
       "payload \"?? 20\xc2\xb0"
       "C ??\" is not a finite number"},
      {"n/d/m", "", RejectReason::kBadNumber, R"(payload "" is not a finite number)"},
      {"n/d/m", "nan", RejectReason::kBadNumber, R"(payload "nan" is not a finite number)"},
      {"n/d/m", "inf", RejectReason::kBadNumber, R"(payload "inf" is not a finite number)"},
      {"n/d/m", "-infinity", RejectReason::kBadNumber,
       R"(payload "-infinity" is not a finite number)"},
      {"n/d/m", "1e400", RejectReason::kBadNumber, R"(payload "1e400" is not a finite number)"},
      {"n/d/m", "12 volts", RejectReason::kBadNumber,
       R"(payload "12 volts" is not a finite number)"},
      {"j/x", R"({"t":1,"ts":"yesterday"})", RejectReason::kBadTimestamp,
       R"(timestamp field ts: "yesterday" is neither RFC 3339 nor an epoch number)"},
      {"j/x", R"({"t":1,"ts":-5})", RejectReason::kBadTimestamp,
       "timestamp field ts: epoch timestamp -5 is negative"},
      {"j/x", R"({"t":1,"ts":true})", RejectReason::kBadTimestamp,
       "timestamp field ts: is a JSON boolean, expected a number or RFC 3339 text"},
      {"j/x", R"({"t":1,"ts":18446744073709551615})", RejectReason::kBadTimestamp,
       "timestamp field ts: is beyond the year 2262"},
      {"j/x", R"({"t":1,"ts":1e300})", RejectReason::kBadTimestamp,
       "timestamp field ts: epoch timestamp " + std::to_string(1e300) + " is beyond the year 2262"},
      {"i/x", "m v=1 x", RejectReason::kBadLine,
       "line 1: column 7: expected an integer timestamp, got x"},
      {"i/x", "m v=nan", RejectReason::kBadNumber,
       "line 1: field v: field value nan is not a finite number"},
  };
  for (const Case& c : cases) {
    INFO(c.topic << " " << c.payload);
    auto error = map_error(mapping, c.topic, c.payload);
    CHECK(adapters::reject_reason_name(error.code) == adapters::reject_reason_name(c.reason));
    CHECK(error.message == c.message);
  }
}

TEST_CASE("a message with one bad value among good ones yields no readings at all") {
  auto sub = subscription("d/+");
  sub.metrics = {{"a", "a", ""}, {"b", "b", ""}, {"c", "c", ""}};
  const Mapping mapping = make_mapping({sub});
  auto error = map_error(mapping, "d/x", R"({"a":1,"b":{},"c":3})");
  CHECK(error.code == RejectReason::kBadNumber);
  CHECK(error.message == "field b is a JSON object, expected a number, boolean or string");
}

// Issue 11's poison message: dump() of the nested tag recursed 100,000 levels and overflowed the
// stack (tests/fuzz/regressions/mqtt_mapping/ holds the payload for the fuzz target too).
TEST_CASE("a payload nested deeper than kMaxJsonDepth is bad_json, not a stack overflow") {
  const Mapping mapping = make_mapping({subscription("d/+")});
  const auto nested = [](int levels) {
    return R"({"metric":"m","value":1,"tags":{"x":)" + std::string(levels - 2, '[') +
           std::string(levels - 2, ']') + "}}";
  };
  const auto poison = map_error(mapping, "d/x", nested(100'000));
  CHECK(poison.code == RejectReason::kBadJson);
  CHECK(poison.message == R"(payload "{"metric":"m","value":1,"tags":{"x":[[[["...)"
                          " nests deeper than 32 levels");
  const auto deepest = map_ok(mapping, "d/x", nested(kMaxJsonDepth));
  REQUIRE(deepest.size() == 1);
  CHECK(deepest[0].tags == Tags{{"x", std::string(30, '[') + std::string(30, ']')}});
  // Brackets inside strings are text, not nesting.
  CHECK(map_ok(mapping, "d/x", R"({"metric":"m","value":")" + std::string(100, '[') + R"("})")
            .size() == 1);
}

TEST_CASE("a json payload may start with a UTF-8 byte order mark") {
  auto sub = subscription("d/+");
  sub.metrics = {{"temp", "t", "C"}};
  const Mapping mapping = make_mapping({sub});
  const auto readings = map_ok(mapping, "d/x", "\xEF\xBB\xBF{\"t\":21.5}");
  REQUIRE(readings.size() == 1);
  CHECK(number(readings[0]) == 21.5);
  // Only at the start: elsewhere the bytes are not JSON.
  CHECK(map_error(mapping, "d/x", "{\"t\":21.5}\xEF\xBB\xBF").code == RejectReason::kBadJson);
}

TEST_CASE("an integer beyond 64 bits or text that is not UTF-8 is bad_json") {
  auto sub = subscription("d/+");
  sub.metrics = {{"temp", "t", ""}};
  const Mapping mapping = make_mapping({sub});
  const auto big = map_error(mapping, "d/x", R"({"t":123456789012345678901234567890})");
  CHECK(big.code == RejectReason::kBadJson);
  CHECK(big.message == R"(payload "{"t":123456789012345678901234567890}" is not valid JSON)");
  CHECK(map_error(mapping, "d/x", "{\"t\":1,\"s\":\"\xff\"}").code == RejectReason::kBadJson);
  // The largest 64-bit integers are numbers.
  const auto largest = map_ok(mapping, "d/x", R"({"t":18446744073709551615})");
  REQUIRE(largest.size() == 1);
  CHECK(number(largest[0]) == 18446744073709551615.0);
}

TEST_CASE("a key repeated in one object: a configured field reads the first occurrence") {
  auto configured = subscription("c/+");
  configured.metrics = {{"temp", "t", ""}};
  const auto generic = subscription("g/+");
  const Mapping mapping = make_mapping({configured, generic});
  const auto first = map_ok(mapping, "c/x", R"({"t":1,"t":2})");
  REQUIRE(first.size() == 1);
  CHECK(number(first[0]) == 1.0);
  const auto each = map_ok(mapping, "g/x", R"({"t":1,"t":2})");
  REQUIRE(each.size() == 2);
  CHECK(number(each[0]) == 1.0);
  CHECK(number(each[1]) == 2.0);
}

// Payloads above 16 KiB get a parser of their own (freed after the message); the thread's
// reused parser keeps mapping the small ones before and after.
TEST_CASE("json payloads above and below the reused parser's size map alike") {
  auto sub = subscription("d/+");
  sub.readings_field = "r";
  const Mapping mapping = make_mapping({sub}, {Bytes{1 << 20}});
  const auto list_of = [](int elements) {
    std::string payload = R"({"r":[)";
    for (int i = 0; i < elements; ++i) {
      payload += (i == 0 ? "" : ",") + std::string(R"({"metric":"m)") + std::to_string(i) +
                 R"(","value":)" + std::to_string(i) + "}";
    }
    return payload + "]}";
  };
  const std::string large = list_of(4000);
  REQUIRE(large.size() > (16 << 10));
  CHECK(map_ok(mapping, "d/x", list_of(3)).size() == 3);
  const auto readings = map_ok(mapping, "d/x", large);
  REQUIRE(readings.size() == 4000);
  CHECK(readings[3999].metric == "m3999");
  CHECK(number(readings[3999]) == 3999.0);
  const auto small = map_ok(mapping, "d/x", list_of(2));
  REQUIRE(small.size() == 2);
  CHECK(small[1].metric == "m1");
}

TEST_CASE("creating a mapping fails on a bad filter or a template beyond its captures") {
  auto bad_filter = Mapping::create({subscription("a/#/b")});
  REQUIRE_FALSE(bad_filter.ok());
  CHECK(bad_filter.error().code == MappingError::kBadFilter);
  CHECK(bad_filter.error().message == R"(subscription "a/#/b": not a valid MQTT topic filter)");

  auto sub = subscription("a/+");
  sub.device = "{1}-{2}";
  auto bad_template = Mapping::create({sub});
  REQUIRE_FALSE(bad_template.ok());
  CHECK(bad_template.error().code == MappingError::kBadTemplate);
  CHECK(bad_template.error().message ==
        R"(subscription "a/+": device "{1}-{2}" uses {2} but the filter has 1 wildcard(s))");

  // The metric template matters for number payloads only.
  CHECK(Mapping::create({subscription("a/+")}).ok());
  CHECK_FALSE(Mapping::create({subscription("a/+", PayloadFormat::kNumber)}).ok());
}

}  // namespace
}  // namespace sensorgate::mqtt
