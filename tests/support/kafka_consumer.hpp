// Reading a whole Kafka topic back, the way a downstream consumer sees it: every partition
// from its beginning, each record with partition, offset, key, value, timestamp and headers.
// For tests and benches; no consumer group offsets are committed. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sensorgate::testing {

struct ConsumedRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::int64_t timestamp_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the first header called `name`, if any.
  std::optional<std::string> header(const std::string& name) const;
};

// Reads `topic` on the cluster at `bootstrap` from the beginning of every partition until
// `count` records arrived, or until `timeout` passes; returns what arrived in consumption order
// (per partition in offset order). After `count` records it reads on for `linger` more, so a
// test sees records beyond the expected ones (duplicates). Consumer errors go to stderr.
std::vector<ConsumedRecord> consume_topic(
    const std::string& bootstrap, const std::string& topic, std::size_t count,
    std::chrono::milliseconds timeout,
    std::chrono::milliseconds linger = std::chrono::milliseconds(200));

}  // namespace sensorgate::testing
