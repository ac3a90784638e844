// The Kafka record value of a reading: compact JSON {"device","metric","value","unit","ts",
// "tags"} as DESIGN.md fixes it. Encoded once at ingest and stored in the buffer as is.
#pragma once

#include <string>
#include <string_view>

#include "core/reading.hpp"

namespace sensorgate {

// Compact JSON of `reading`; "unit" and "tags" are left out when empty. A non-finite double
// (which mapping rejects before this point) is written as null to keep the JSON valid.
std::string encode_reading_json(const Reading& reading);

// Appends `text` as a JSON string literal with quotes, escaping what RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

// Appends the shortest text that reads back as the same double; null when not finite.
void append_json_number(std::string& out, double value);

}  // namespace sensorgate
