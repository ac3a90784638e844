#include "adapters/mqtt/template.hpp"

#include <catch2/catch.hpp>

namespace sensorgate::mqtt {
namespace {

std::string expand(std::string_view text, std::vector<std::string_view> captures) {
  return Template(text).expand(captures);
}

TEST_CASE("a template replaces each {N} with capture N") {
  CHECK(expand("{1}-{2}", {"hall", "7"}) == "hall-7");
  CHECK(expand("{2}.{1}.{2}", {"a", "b"}) == "b.a.b");
  CHECK(expand("boiler", {"a"}) == "boiler");
  CHECK(Template("{1}-{12}").highest_capture() == 12);
  CHECK(Template("plain").highest_capture() == 0);
}

TEST_CASE("a capture beyond the topic's wildcards expands to nothing") {
  CHECK(expand("x{3}y", {"a"}) == "xy");
}

TEST_CASE("braces that do not form {N} stay literal") {
  CHECK(expand("{}{0}{a}{1", {"z"}) == "{}{0}{a}{1");
  CHECK(expand("{{1}}", {"z"}) == "{z}");
  CHECK(Template("{0}").highest_capture() == 0);
}

}  // namespace
}  // namespace sensorgate::mqtt
