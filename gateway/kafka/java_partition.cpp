#include "gateway/kafka/java_partition.hpp"

namespace sensorgate::kafka {

std::int32_t murmur2(std::string_view key) {
  // Java's int arithmetic wraps; unsigned 32-bit arithmetic gives the same bits without UB.
  constexpr std::uint32_t kSeed = 0x9747b28c;
  constexpr std::uint32_t kMultiplier = 0x5bd1e995;
  constexpr int kShift = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t length = key.size();
  std::uint32_t hash = kSeed ^ static_cast<std::uint32_t>(length);
  const std::size_t whole_words = length / 4;
  for (std::size_t i = 0; i < whole_words; ++i) {
    const std::size_t at = i * 4;
    std::uint32_t k = static_cast<std::uint32_t>(data[at]) |
                      static_cast<std::uint32_t>(data[at + 1]) << 8 |
                      static_cast<std::uint32_t>(data[at + 2]) << 16 |
                      static_cast<std::uint32_t>(data[at + 3]) << 24;
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash *= kMultiplier;
    hash ^= k;
  }
  const std::size_t tail = length & ~static_cast<std::size_t>(3);
  switch (length % 4) {
    case 3:
      hash ^= static_cast<std::uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      hash ^= static_cast<std::uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      hash ^= static_cast<std::uint32_t>(data[tail]);
      hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return static_cast<std::int32_t>(hash);
}

std::int32_t java_partition(std::string_view key, std::int32_t partitions) {
  const auto positive =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffU);
  return positive % partitions;
}

}  // namespace sensorgate::kafka
