#include "core/reading_json.hpp"

#include <catch2/catch.hpp>
#include <limits>

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
