// The register decoder: every type in every byte order, bits, scale and offset, and the values
// it refuses.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "adapters/modbus/decode.hpp"

namespace sensorgate::modbus {
namespace {

ReadingValue decode_ok(const Decoding& decoding, const std::vector<std::uint16_t>& words) {
  auto value = decode_registers(decoding, words);
  INFO((value.ok() ? "" : value.error().message));
  REQUIRE(value.ok());
  return *value;
}

double number(const Decoding& decoding, const std::vector<std::uint16_t>& words) {
  const ReadingValue value = decode_ok(decoding, words);
  REQUIRE(std::holds_alternative<double>(value));
  return std::get<double>(value);
}

Decoding of(RegisterType type, WordOrder order = WordOrder::kAbcd) {
  Decoding decoding;
  decoding.type = type;
  decoding.order = order;
  return decoding;
}

TEST_CASE("16-bit registers decode as unsigned or two's complement") {
  CHECK(number(of(RegisterType::kUint16), {50000}) == 50000);
  CHECK(number(of(RegisterType::kInt16), {0xFB2E}) == -1234);
  CHECK(number(of(RegisterType::kInt16), {0x7FFF}) == 32767);
  CHECK(number(of(RegisterType::kInt16), {0x8000}) == -32768);
}

TEST_CASE("a 32-bit value reads the same from each of the four byte orders") {
  // 0x12345678 with a = 0x12: abcd [1234][5678], cdab [5678][1234], badc [3412][7856],
  // dcba [7856][3412].
  CHECK(number(of(RegisterType::kUint32, WordOrder::kAbcd), {0x1234, 0x5678}) == 0x12345678);
  CHECK(number(of(RegisterType::kUint32, WordOrder::kCdab), {0x5678, 0x1234}) == 0x12345678);
  CHECK(number(of(RegisterType::kUint32, WordOrder::kBadc), {0x3412, 0x7856}) == 0x12345678);
  CHECK(number(of(RegisterType::kUint32, WordOrder::kDcba), {0x7856, 0x3412}) == 0x12345678);
  CHECK(number(of(RegisterType::kInt32), {0xFFFF, 0xFFFE}) == -2);
  CHECK(number(of(RegisterType::kFloat32), {0x4049, 0x0FDB}) ==
        static_cast<double>(std::bit_cast<float>(0x40490FDBu)));
  CHECK(number(of(RegisterType::kFloat32, WordOrder::kDcba), {0xDB0F, 0x4940}) ==
        static_cast<double>(std::bit_cast<float>(0x40490FDBu)));
}

TEST_CASE("a 64-bit value reads the same from each of the four byte orders") {
  const double expected = static_cast<double>(0x0102030405060708ull);
  CHECK(number(of(RegisterType::kUint64, WordOrder::kAbcd), {0x0102, 0x0304, 0x0506, 0x0708}) ==
        expected);
  CHECK(number(of(RegisterType::kUint64, WordOrder::kCdab), {0x0708, 0x0506, 0x0304, 0x0102}) ==
        expected);
  CHECK(number(of(RegisterType::kUint64, WordOrder::kBadc), {0x0201, 0x0403, 0x0605, 0x0807}) ==
        expected);
  CHECK(number(of(RegisterType::kUint64, WordOrder::kDcba), {0x0807, 0x0605, 0x0403, 0x0201}) ==
        expected);
  CHECK(number(of(RegisterType::kInt64), {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}) == -1);
  const std::uint64_t e = std::bit_cast<std::uint64_t>(-2.718281828459045);
  CHECK(number(of(RegisterType::kFloat64),
               {static_cast<std::uint16_t>(e >> 48), static_cast<std::uint16_t>(e >> 32),
                static_cast<std::uint16_t>(e >> 16), static_cast<std::uint16_t>(e)}) ==
        -2.718281828459045);
}

TEST_CASE("a bit of a register reads as bool, or as 0 and 1 for a numeric type") {
  Decoding decoding = of(RegisterType::kBool);
  const std::vector<std::uint16_t> status{0xA005};  // bits 0, 2, 13, 15
  for (int bit = 0; bit < 16; ++bit) {
    decoding.bit = bit;
    const bool expected = bit == 0 || bit == 2 || bit == 13 || bit == 15;
    CHECK(decode_ok(decoding, status) == ReadingValue(expected));
  }
  Decoding numeric = of(RegisterType::kUint16);
  numeric.bit = 13;
  CHECK(number(numeric, status) == 1.0);
  numeric.bit = 14;
  CHECK(number(numeric, status) == 0.0);
}

TEST_CASE("value = raw * scale + offset") {
  Decoding decoding = of(RegisterType::kInt16);
  decoding.scale = 0.1;
  decoding.offset = -40;
  CHECK(number(decoding, {0x0190}) == Approx(0.0));  // 400 * 0.1 - 40
  CHECK(number(decoding, {0xFFF6}) == Approx(-41.0));
}

TEST_CASE("only the first words of the type are read, and too few words are an error") {
  CHECK(number(of(RegisterType::kUint16), {7, 99, 99}) == 7);
  auto short_read =
      decode_registers(of(RegisterType::kFloat64), std::vector<std::uint16_t>{1, 2, 3});
  REQUIRE_FALSE(short_read.ok());
  CHECK(short_read.error().code == DecodeError::kTooFewWords);
  CHECK(short_read.error().message == "expected 4 register(s), got 3");
}

TEST_CASE("NaN and infinite floats are refused as not finite") {
  for (const std::vector<std::uint16_t>& words :
       {std::vector<std::uint16_t>{0x7FC0, 0x0000}, std::vector<std::uint16_t>{0x7F80, 0x0000},
        std::vector<std::uint16_t>{0xFF80, 0x0000}}) {
    auto value = decode_registers(of(RegisterType::kFloat32), words);
    REQUIRE_FALSE(value.ok());
    CHECK(value.error().code == DecodeError::kNotFinite);
  }
  Decoding huge = of(RegisterType::kFloat64);
  huge.scale = 1e300;
  const std::uint64_t big = std::bit_cast<std::uint64_t>(1e300);
  auto overflow = decode_registers(
      huge, std::vector<std::uint16_t>{
                static_cast<std::uint16_t>(big >> 48), static_cast<std::uint16_t>(big >> 32),
                static_cast<std::uint16_t>(big >> 16), static_cast<std::uint16_t>(big)});
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.error().code == DecodeError::kNotFinite);
}

TEST_CASE("a configured register's decoding: coils read as bit 0, orders by name") {
  Register coil;
  coil.kind = RegisterKind::kCoil;
  coil.type = RegisterType::kBool;
  CHECK(decoding_of(coil).bit == 0);
  Register wide;
  wide.type = RegisterType::kInt32;
  wide.order = "badc";
  CHECK(decoding_of(wide).order == WordOrder::kBadc);
  CHECK(word_order("dcba") == WordOrder::kDcba);
  CHECK_FALSE(word_order("abdc").has_value());
}

}  // namespace
}  // namespace sensorgate::modbus
