#include "adapters/modbus/decode.hpp"

#include <array>
#include <bit>
#include <cmath>

namespace sensorgate::modbus {

std::optional<WordOrder> word_order(std::string_view name) {
  if (name == "abcd") return WordOrder::kAbcd;
  if (name == "badc") return WordOrder::kBadc;
  if (name == "cdab") return WordOrder::kCdab;
  if (name == "dcba") return WordOrder::kDcba;
  return std::nullopt;
}

Decoding decoding_of(const Register& reg) {
  Decoding decoding;
  decoding.type = reg.type;
  decoding.order = word_order(reg.order).value_or(WordOrder::kAbcd);
  decoding.bit =
      reg.kind == RegisterKind::kCoil || reg.kind == RegisterKind::kDiscrete ? 0 : reg.bit;
  decoding.scale = reg.scale;
  decoding.offset = reg.offset;
  return decoding;
}

Result<ReadingValue, DecodeError> decode_registers(const Decoding& decoding,
                                                   std::span<const std::uint16_t> words) {
  const std::size_t width = static_cast<std::size_t>(width_of(decoding.type));
  if (words.size() < width) {
    return make_error(
        DecodeError::kTooFewWords,
        "expected " + std::to_string(width) + " register(s), got " + std::to_string(words.size()));
  }
  if (decoding.bit >= 0) {
    const bool set = ((words[0] >> (decoding.bit & 15)) & 1u) != 0;
    if (decoding.type == RegisterType::kBool) return ReadingValue(set);
    return ReadingValue(set ? 1.0 : 0.0);
  }
  if (decoding.type == RegisterType::kBool) return ReadingValue(words[0] != 0);

  // The value's words, most significant first.
  std::array<std::uint16_t, 4> ordered{};
  const bool reverse_words =
      decoding.order == WordOrder::kCdab || decoding.order == WordOrder::kDcba;
  const bool swap_bytes = decoding.order == WordOrder::kBadc || decoding.order == WordOrder::kDcba;
  for (std::size_t i = 0; i < width; ++i) {
    std::uint16_t word = words[reverse_words && width > 1 ? width - 1 - i : i];
    if (swap_bytes && width > 1) word = static_cast<std::uint16_t>((word << 8) | (word >> 8));
    ordered[i] = word;
  }
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < width; ++i) bits = (bits << 16) | ordered[i];

  double raw = 0;
  switch (decoding.type) {
    case RegisterType::kUint16:
      raw = static_cast<double>(static_cast<std::uint16_t>(bits));
      break;
    case RegisterType::kInt16:
      raw = static_cast<double>(static_cast<std::int16_t>(static_cast<std::uint16_t>(bits)));
      break;
    case RegisterType::kUint32:
      raw = static_cast<double>(static_cast<std::uint32_t>(bits));
      break;
    case RegisterType::kInt32:
      raw = static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
      break;
    case RegisterType::kUint64:
      raw = static_cast<double>(bits);
      break;
    case RegisterType::kInt64:
      raw = static_cast<double>(static_cast<std::int64_t>(bits));
      break;
    case RegisterType::kFloat32:
      raw = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
      break;
    case RegisterType::kFloat64:
      raw = std::bit_cast<double>(bits);
      break;
    case RegisterType::kBool:
      break;  // handled above
  }
  const double value = raw * decoding.scale + decoding.offset;
  if (!std::isfinite(value)) {
    return make_error(DecodeError::kNotFinite, "the value is not a finite number");
  }
  return ReadingValue(value);
}

}  // namespace sensorgate::modbus
