#include "gateway/kafka/java_partition.hpp"

#include <librdkafka/rdkafka.h>

#include <catch2/catch.hpp>
#include <string>

using sensorgate::kafka::java_partition;
using sensorgate::kafka::murmur2;

TEST_CASE("murmur2 matches the golden values of Kafka's Java client") {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  CHECK(murmur2("21") == -973932308);
  CHECK(murmur2("foobar") == -790332482);
  CHECK(murmur2("a-little-bit-long-string") == -985981536);
  CHECK(murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(murmur2("abc") == 479470107);
}

TEST_CASE("the partition is the positive murmur2 of the key modulo the partition count") {
  // toPositive(-973932308) = 1173551340; toPositive(-790332482) = 1357151166.
  CHECK(java_partition("21", 6) == 1173551340 % 6);
  CHECK(java_partition("foobar", 12) == 6);
  CHECK(java_partition("abc", 6) == 3);
  CHECK(java_partition("abc", 1) == 0);
}

TEST_CASE("the partition equals the one librdkafka's murmur2 partitioner picks") {
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "device-" + std::to_string(i);
    for (const int partitions : {1, 3, 6, 7, 64}) {
      const int32_t expected = rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(),
                                                                partitions, nullptr, nullptr);
      REQUIRE(java_partition(key, partitions) == expected);
    }
  }
}
