// Fuzz target: the Modbus register decoder (adapters/modbus/decode.hpp). The input is read as
//   byte 0  register type (mod 9, in RegisterType order: uint16 int16 uint32 int32 uint64 int64
//           float32 float64 bool)
//   byte 1  byte order (mod 4: abcd badc cdab dcba)
//   byte 2  bit (mod 17, minus 1: -1 is the whole type, 0-15 one bit)
//   byte 3  which scale/offset (mod 4: 1/0, the next 16 bytes as two raw doubles, 0.1/-40, -1/0)
//   rest    the words the device answered, high byte first, as Modbus sends them
// Beyond not crashing: too few words is kTooFewWords and only then; a bool type gives a bool, a
// numeric one a finite double, a bit 0 or 1; a value that is not finite is kNotFinite.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "adapters/modbus/decode.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;
using modbus::DecodeError;
using modbus::RegisterType;

namespace {

int width(RegisterType type) {
  switch (type) {
    case RegisterType::kUint32:
    case RegisterType::kInt32:
    case RegisterType::kFloat32:
      return 2;
    case RegisterType::kUint64:
    case RegisterType::kInt64:
    case RegisterType::kFloat64:
      return 4;
    case RegisterType::kUint16:
    case RegisterType::kInt16:
    case RegisterType::kBool:
      return 1;
  }
  return 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  modbus::Decoding decoding;
  decoding.type = static_cast<RegisterType>(data[0] % 9);
  decoding.order = static_cast<modbus::WordOrder>(data[1] % 4);
  decoding.bit = data[2] % 17 - 1;
  const int scaling = data[3] % 4;
  data += 4;
  size -= 4;
  if (scaling == 1) {
    if (size < 16) return 0;
    std::memcpy(&decoding.scale, data, sizeof(double));
    std::memcpy(&decoding.offset, data + 8, sizeof(double));
    data += 16;
    size -= 16;
  } else if (scaling == 2) {
    decoding.scale = 0.1;
    decoding.offset = -40;
  } else if (scaling == 3) {
    decoding.scale = -1;
  }
  std::vector<std::uint16_t> words;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    words.push_back(static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]));
  }

  const auto value = modbus::decode_registers(decoding, words);
  const bool enough = words.size() >= static_cast<std::size_t>(width(decoding.type));
  if (!value.ok()) {
    FUZZ_CHECK(!value.error().message.empty(), "an error without a message");
    FUZZ_CHECK((value.error().code == DecodeError::kTooFewWords) == !enough,
               "kTooFewWords exactly when the words are too few");
    return 0;
  }
  FUZZ_CHECK(enough, "decoded from too few words");
  if (decoding.type == RegisterType::kBool) {
    FUZZ_CHECK(std::holds_alternative<bool>(*value), "a bool register gives a bool");
    return 0;
  }
  const double* number = std::get_if<double>(&*value);
  FUZZ_CHECK(number != nullptr, "a numeric register gives a number");
  FUZZ_CHECK(*number - *number == 0.0, "a decoded number is finite");
  if (decoding.bit >= 0) FUZZ_CHECK(*number == 0.0 || *number == 1.0, "a bit is 0 or 1");
  return 0;
}
