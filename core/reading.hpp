// Reading: one measured value from one device, the unit that flows from adapters through the
// mapping and rules into the buffer. Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sensorgate {

using ReadingValue = std::variant<double, bool, std::string>;
using Tags = std::vector<std::pair<std::string, std::string>>;

struct Reading {
  std::string device;
  std::string metric;
  ReadingValue value = 0.0;
  std::string unit;    // empty: none
  std::int64_t ts_ns = 0;  // source time in ns since the Unix epoch; receive time if none given
  Tags tags;           // in the order the source gave them
  std::string topic;   // the Kafka topic the mapping chose; empty: kafka.topic
};

}  // namespace sensorgate
