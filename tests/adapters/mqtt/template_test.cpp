#include "adapters/mqtt/template.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::mqtt {
namespace {

Template parsed(std::string_view text) {
  auto result = Template::parse(text);
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string expand(std::string_view text, std::vector<std::string_view> captures) {
  return parsed(text).expand(captures);
}

std::string error_of(std::string_view text) {
  const auto result = Template::parse(text);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == TemplateError::kBadCapture);
  return result.error().message;
}

TEST_CASE("a template replaces each {N} with capture N") {
  CHECK(expand("{1}-{2}", {"hall", "7"}) == "hall-7");
  CHECK(expand("{2}.{1}.{2}", {"a", "b"}) == "b.a.b");
  CHECK(expand("boiler", {"a"}) == "boiler");
  CHECK(parsed("{1}-{12}").highest_capture() == 12);
  CHECK(parsed("plain").highest_capture() == 0);
  CHECK(parsed("{1000}").highest_capture() == 1000);
}

TEST_CASE("a capture beyond the topic's wildcards expands to nothing") {
  CHECK(expand("x{3}y", {"a"}) == "xy");
}

TEST_CASE("a brace that does not form {N} is an error that says which and why") {
  const std::string range = " is no capture; captures are {1} to {32768}";
  CHECK(error_of("{") ==
        "\"{\": at offset 0, \"{\" is not closed; captures are written {1}, {2}, ...");
  CHECK(error_of("{-1}") == "\"{-1}\": at offset 0, \"{-1}\"" + range);
  CHECK(error_of("{99999999999999999999}") ==
        "\"{99999999999999999999}\": at offset 0, \"{99999999999999999999}\"" + range);
  CHECK(error_of("dev-{0}") == "\"dev-{0}\": at offset 4, \"{0}\"" + range);
  CHECK(error_of("{}") == "\"{}\": at offset 0, \"{}\"" + range);
  CHECK(error_of("{01}") == "\"{01}\": at offset 0, \"{01}\"" + range);
  CHECK(error_of("{40000}") == "\"{40000}\": at offset 0, \"{40000}\"" + range);
  CHECK(error_of("a}") == "\"a}\": at offset 1, \"}\" closes no capture {N}");
}

}  // namespace
}  // namespace sensorgate::mqtt
