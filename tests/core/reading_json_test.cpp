#include "core/reading_json.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace sensorgate;

TEST_CASE("a reading encodes as the compact record value of DESIGN.md") {
  Reading reading;
  reading.device = "hall-1";
  reading.metric = "temp";
  reading.value = 21.5;
  reading.unit = "C";
  reading.ts_ns = 1'795'000'000'123'000'000;
  reading.tags = {{"site", "north"}, {"line", "2"}};
  CHECK(encode_reading_json(reading) ==
        R"({"device":"hall-1","metric":"temp","value":21.5,"unit":"C",)"
        R"("ts":"2026-11-18T11:06:40.123Z","tags":{"site":"north","line":"2"}})");
}

TEST_CASE("unit and tags are left out when empty, and bool and string values keep their type") {
  Reading reading{"pump", "running", true, "", 0, {}, ""};
  CHECK(encode_reading_json(reading) ==
        R"({"device":"pump","metric":"running","value":true,"ts":"1970-01-01T00:00:00.000Z"})");
  reading.value = std::string("open");
  CHECK(encode_reading_json(reading) ==
        R"({"device":"pump","metric":"running","value":"open","ts":"1970-01-01T00:00:00.000Z"})");
}

TEST_CASE("strings are escaped and non-finite numbers stay valid JSON") {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\x01");
  CHECK(out == R"("a\"b\\c\nd\u0001")");
  out.clear();
  // Escapes first and last, and runs of plain text between them, are each kept in place.
  append_json_string(out, "\tplain text\r\x1f");
  CHECK(out == R"("\tplain text\r\u001f")");
  out.clear();
  append_json_string(out, "");
  CHECK(out == R"("")");
  out.clear();
  append_json_number(out, std::numeric_limits<double>::infinity());
  CHECK(out == "null");
  out.clear();
  append_json_number(out, 0.1);
  CHECK(out == "0.1");
}

TEST_CASE("a reading with long escaped strings in every field encodes whole") {
  // Longer than the stack buffer of the encoder, and every byte escaped: the bound must hold.
  const std::string control(300, '\x01');
  const std::string quoted(200, '"');
  Reading reading{control,
                  quoted,
                  control,
                  quoted,
                  1'795'000'000'123'456'789,
                  {{control, quoted}, {"k", control}},
                  ""};
  const std::string escaped_control = [&] {
    std::string text;
    for (std::size_t i = 0; i < control.size(); ++i) text += "\\u0001";
    return text;
  }();
  const std::string escaped_quoted = [&] {
    std::string text;
    for (std::size_t i = 0; i < quoted.size(); ++i) text += "\\\"";
    return text;
  }();
  const std::string json = encode_reading_json(reading);
  CHECK(json == "{\"device\":\"" + escaped_control + "\",\"metric\":\"" + escaped_quoted +
                    "\",\"value\":\"" + escaped_control + "\",\"unit\":\"" + escaped_quoted +
                    "\",\"ts\":\"2026-11-18T11:06:40.123456789Z\",\"tags\":{\"" + escaped_control +
                    "\":\"" + escaped_quoted + "\",\"k\":\"" + escaped_control + "\"}}");
  CHECK(json.capacity() - json.size() < 32);
}

TEST_CASE("numbers in a record value are the shortest text that reads back the same") {
  Reading reading{"d", "m", 0.0, "", 0, {}, ""};
  for (const auto& [value, text] :
       std::vector<std::pair<double, std::string>>{{20.37, "20.37"},
                                                   {-0.5, "-0.5"},
                                                   {100000.0, "1e+05"},
                                                   {0.1 + 0.2, "0.30000000000000004"},
                                                   {-0.0, "-0"},
                                                   {42.0, "42"},
                                                   {1e300, "1e+300"}}) {
    reading.value = value;
    CHECK(encode_reading_json(reading) == "{\"device\":\"d\",\"metric\":\"m\",\"value\":" + text +
                                              ",\"ts\":\"1970-01-01T00:00:00.000Z\"}");
  }
}
