#include "adapters/formats/influx_line.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::formats {
namespace {

using adapters::RejectReason;

TEST_CASE("a line with tags, typed fields and a timestamp parses into a point") {
  auto point = parse_influx_line(
      R"(climate,device=hall-1,site=north temp=21.5,count=3i,big=7u,ok=t,note="hi \"x\"" 1700000000000000000)");
  REQUIRE(point.ok());
  CHECK(point->measurement == "climate");
  CHECK(point->tags == Tags{{"device", "hall-1"}, {"site", "north"}});
  REQUIRE(point->fields.size() == 5);
  CHECK(std::get<double>(point->fields[0].second) == 21.5);
  CHECK(std::get<double>(point->fields[1].second) == 3.0);
  CHECK(std::get<double>(point->fields[2].second) == 7.0);
  CHECK(std::get<bool>(point->fields[3].second) == true);
  CHECK(std::get<std::string>(point->fields[4].second) == "hi \"x\"");
  CHECK(point->timestamp == 1700000000000000000);
}

TEST_CASE("escaped commas, spaces and equals signs stay in names") {
  auto point = parse_influx_line(R"(my\ meas,ta\,g=v\ 1\=2 f\=x=1)");
  REQUIRE(point.ok());
  CHECK(point->measurement == "my meas");
  CHECK(point->tags == Tags{{"ta,g", "v 1=2"}});
  CHECK(point->fields[0].first == "f=x");
  CHECK_FALSE(point->timestamp);
}

TEST_CASE("every spelling of a boolean field is read") {
  for (const char* text : {"t", "T", "true", "True", "TRUE"}) {
    auto point = parse_influx_line(std::string("m v=") + text);
    REQUIRE(point.ok());
    CHECK(std::get<bool>(point->fields[0].second));
  }
  for (const char* text : {"f", "F", "false", "False", "FALSE"}) {
    auto point = parse_influx_line(std::string("m v=") + text);
    REQUIRE(point.ok());
    CHECK_FALSE(std::get<bool>(point->fields[0].second));
  }
}

TEST_CASE("malformed lines are rejected as bad_line with the column") {
  struct Case {
    const char* line;
    const char* message;
  };
  for (const Case& c : {Case{"m", "column 2: expected a space before the fields"},
                        Case{",t=1 v=1", "column 1: expected a measurement name"},
                        Case{"m,t v=1", "column 4: expected '=' after tag key t"},
                        Case{"m,t= v=1", "column 5: expected a value for tag t"},
                        Case{"m v", "column 4: expected '=' after field key v"},
                        Case{"m v=\"abc", "column 9: unterminated string value of field v"},
                        Case{"m v=1 12x", "column 7: expected an integer timestamp, got 12x"},
                        Case{"m v=1 12 extra", "column 10: unexpected text after the timestamp"}}) {
    INFO(c.line);
    auto point = parse_influx_line(c.line);
    REQUIRE_FALSE(point.ok());
    CHECK(point.error().code == RejectReason::kBadLine);
    CHECK(point.error().message == c.message);
  }
}

TEST_CASE("field values that are not finite numbers are rejected as bad_number") {
  for (const char* line :
       {"m v=abc", "m v=inf", "m v=nan", "m v=1e999", "m v=1.2.3", "m v=12x", "m v=", "m v=-3u"}) {
    INFO(line);
    auto point = parse_influx_line(line);
    REQUIRE_FALSE(point.ok());
    CHECK(point.error().code == RejectReason::kBadNumber);
  }
  CHECK(parse_influx_line("m v=abc").error().message ==
        "field v: field value abc is not a finite number");
}

TEST_CASE("each field becomes a reading, and a field named value takes the measurement name") {
  LineReadingOptions options;
  options.receive_ts_ns = 42;
  options.topic = "t.x";
  auto readings = influx_lines_to_readings(
      "# comment\n"
      "climate,device=hall-1,unit=C,site=n temp=21.5,hum=40 1700000000000000000\r\n"
      "\n"
      "pressure,device=boiler-1 value=8.1\n",
      options);
  REQUIRE(readings.ok());
  REQUIRE(readings->size() == 3);
  const Reading& temp = (*readings)[0];
  CHECK(temp.device == "hall-1");
  CHECK(temp.metric == "temp");
  CHECK(temp.unit == "C");
  CHECK(temp.tags == Tags{{"site", "n"}});
  CHECK(temp.ts_ns == 1700000000000000000);
  CHECK(temp.topic == "t.x");
  CHECK((*readings)[1].metric == "hum");
  CHECK((*readings)[2].device == "boiler-1");
  CHECK((*readings)[2].metric == "pressure");
  CHECK((*readings)[2].ts_ns == 42);
}

TEST_CASE("a point without a device tag takes the fallback device, or is rejected") {
  LineReadingOptions options;
  auto rejected = influx_lines_to_readings("m v=1\n", options);
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.error().code == RejectReason::kMissingField);
  CHECK(rejected.error().message == "line 1: point m has no device tag");
  options.fallback_device = "dev-9";
  auto mapped = influx_lines_to_readings("m v=1", options);
  REQUIRE(mapped.ok());
  CHECK(mapped->at(0).device == "dev-9");
}

TEST_CASE("one bad line rejects the whole body, naming the line") {
  LineReadingOptions options;
  options.fallback_device = "d";
  auto readings = influx_lines_to_readings("m v=1\nm v=x\nm v=2\n", options);
  REQUIRE_FALSE(readings.ok());
  CHECK(readings.error().code == RejectReason::kBadNumber);
  CHECK(readings.error().message == "line 2: field v: field value x is not a finite number");
}

TEST_CASE("line timestamps follow the given unit") {
  LineReadingOptions options;
  options.fallback_device = "d";
  options.timestamp_unit = formats::TimestampUnit::kSeconds;
  auto seconds = influx_lines_to_readings("m v=1 1700000000", options);
  REQUIRE(seconds.ok());
  CHECK(seconds->at(0).ts_ns == 1700000000000000000);
  options.timestamp_unit = formats::TimestampUnit::kAuto;
  auto millis = influx_lines_to_readings("m v=1 1700000000123", options);
  REQUIRE(millis.ok());
  CHECK(millis->at(0).ts_ns == 1700000000123000000);
  options.timestamp_unit = formats::TimestampUnit::kSeconds;
  auto too_far = influx_lines_to_readings("m v=1 1700000000000000000", options);
  REQUIRE_FALSE(too_far.ok());
  CHECK(too_far.error().code == RejectReason::kBadTimestamp);
}

}  // namespace
}  // namespace sensorgate::formats
