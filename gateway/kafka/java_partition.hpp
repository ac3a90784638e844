// The partition a Java Kafka client (and Kafka Streams) picks for a keyed record: Kafka's
// murmur2 of the key bytes, made positive, modulo the partition count. librdkafka's
// `murmur2_random` partitioner computes the same; these functions pin it with golden values.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace sensorgate::kafka {

// Kafka's Utils.murmur2 (seed 0x9747b28c) as a signed 32-bit value, e.g. "21" -> -973932308.
std::int32_t murmur2(std::string_view key);

// Utils.toPositive(murmur2(key)) % partitions. `partitions` must be > 0.
std::int32_t java_partition(std::string_view key, std::int32_t partitions);

}  // namespace sensorgate::kafka
