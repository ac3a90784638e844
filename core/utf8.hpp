// UTF-8 validation for text that leaves the gateway (Kafka record values, MQTT client ids):
// JSON and MQTT both require valid UTF-8. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace sensorgate {

// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or text.size() if all are valid.
std::size_t first_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == text.size();
}

}  // namespace sensorgate
