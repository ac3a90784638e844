#include "gateway/rules/glob.hpp"

#include <catch2/catch.hpp>

using sensorgate::rules::Glob;

TEST_CASE("a pattern without wildcards matches only the same text") {
  Glob glob("pressure");
  CHECK(glob.matches("pressure"));
  CHECK_FALSE(glob.matches("pressure2"));
  CHECK_FALSE(glob.matches("Pressure"));
  CHECK_FALSE(glob.matches(""));
}

TEST_CASE("a star matches any run of characters, also none") {
  CHECK(Glob("*").matches(""));
  CHECK(Glob("*").matches("anything"));
  CHECK(Glob("boiler-*").matches("boiler-"));
  CHECK(Glob("boiler-*").matches("boiler-12"));
  CHECK_FALSE(Glob("boiler-*").matches("boiler"));
  CHECK(Glob("*-temp").matches("hall-temp"));
  CHECK_FALSE(Glob("*-temp").matches("hall-temp2"));
  CHECK(Glob("a*b*c").matches("abc"));
  CHECK(Glob("a*b*c").matches("axxbyybzc"));
  CHECK_FALSE(Glob("a*b*c").matches("axxbyybzcd"));
  CHECK(Glob("**x**").matches("x"));
}

TEST_CASE("a question mark matches exactly one character") {
  CHECK(Glob("hall-?").matches("hall-3"));
  CHECK_FALSE(Glob("hall-?").matches("hall-"));
  CHECK_FALSE(Glob("hall-?").matches("hall-12"));
  CHECK(Glob("?all-*").matches("hall-12"));
  CHECK(Glob("*?").matches("a"));
  CHECK_FALSE(Glob("*?").matches(""));
}
