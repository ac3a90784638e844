// decode_registers: turns the 16-bit words a Modbus device answered into the value of one
// configured register: integer or float of 16, 32 or 64 bits in one of four byte orders, or one
// bit, then raw * scale + offset. A pure function of its arguments (a fuzz target); thread-safe.
//
// Byte orders, with a = the most significant byte of the value and each register sent high byte
// first, as Modbus does:
//   abcd  registers in order, high word first          32-bit: [ab][cd]  64-bit: [ab][cd][ef][gh]
//   cdab  registers in reverse order (low word first)  32-bit: [cd][ab]  64-bit: [gh][ef][cd][ab]
//   badc  registers in order, bytes swapped in each    32-bit: [ba][dc]  64-bit: [ba][dc][fe][hg]
//   dcba  little-endian                                32-bit: [dc][ba]  64-bit: [hg][fe][dc][ba]
// 16-bit types ignore the order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "adapters/modbus/settings.hpp"
#include "core/reading.hpp"
#include "core/result.hpp"

namespace sensorgate::modbus {

enum class WordOrder { kAbcd, kBadc, kCdab, kDcba };

// "abcd" -> kAbcd, ...; nullopt for anything else.
std::optional<WordOrder> word_order(std::string_view name);

struct Decoding {
  RegisterType type = RegisterType::kUint16;
  WordOrder order = WordOrder::kAbcd;
  int bit = -1;  // 0-15: the value is this bit of words[0]; -1: the whole type
  double scale = 1.0;
  double offset = 0.0;
};

// The decoding of a configured register. Coils and discrete inputs read as a word of 0 or 1, so
// they decode as bit 0.
Decoding decoding_of(const Register& reg);

enum class DecodeError {
  kTooFewWords,  // `words` is shorter than the type
  kNotFinite,    // a float is NaN or infinite, or scale/offset made it so
};

// The value of `words` (only the first 1, 2 or 4 are read): bool for type bool, else a double
// (raw * scale + offset; a bit of a numeric type is 0 or 1). Errors: kTooFewWords, kNotFinite.
Result<ReadingValue, DecodeError> decode_registers(const Decoding& decoding,
                                                   std::span<const std::uint16_t> words);

}  // namespace sensorgate::modbus
