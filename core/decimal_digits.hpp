// Fixed-width decimal digits: the step the timestamp (time_format) and number (shortest_double)
// writers share. Pure, header-only, thread-safe.
#pragma once

#include <cstdint>

namespace sensorgate {

// Writes the `width` lowest decimal digits of `value` at `out`, zero-padded, and returns the end.
inline char* put_digits(char* out, std::uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace sensorgate
