#include "core/utf8.hpp"

#include <catch2/catch.hpp>

namespace sensorgate {
namespace {

TEST_CASE("well-formed UTF-8 is valid, from ASCII to four-byte sequences") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("boiler-1"));
  CHECK(is_valid_utf8("Temperatur \xc2\xb0\x43"));  // °C
  CHECK(is_valid_utf8("\xe2\x82\xac"));             // €
  CHECK(is_valid_utf8("\xf0\x9f\x8c\xa1"));         // 🌡
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));         // U+10FFFF
}

TEST_CASE("the first byte that breaks UTF-8 is found: stray, overlong, surrogate, too high") {
  CHECK(first_invalid_utf8("ok\xff") == 2);
  CHECK(first_invalid_utf8("\xc0\xaf") == 0);          // overlong '/'
  CHECK(first_invalid_utf8("\xe0\x80\xaf") == 0);      // overlong
  CHECK(first_invalid_utf8("\xed\xa0\x80") == 0);      // surrogate U+D800
  CHECK(first_invalid_utf8("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(first_invalid_utf8("a\xe2\x82") == 1);         // cut short
  CHECK(first_invalid_utf8("a\x80") == 1);             // continuation without a lead
}

}  // namespace
}  // namespace sensorgate
