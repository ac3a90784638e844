// Helpers for forwarder tests: fill a buffer with readings of many devices, make and drain a
// forwarder, and check what a consumer read back against what the buffer held (key, value,
// timestamp, headers, partition, arrivals per seq, order per device). Catch2 assertions; one
// test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "gateway/kafka/forwarder.hpp"
#include "tests/support/kafka_consumer.hpp"

namespace sensorgate::kafka::checks {

// What the buffer holds, by seq.
using Expected = std::map<std::int64_t, buffer::Record>;

std::unique_ptr<buffer::Buffer> open_buffer(const std::filesystem::path& path);

// Appends `per_device` readings to `topic` for each of `devices` devices, interleaved as they
// would arrive, numbered from `first`, each value padded to `value_size` bytes; adds them to
// `expected`.
void append_readings(buffer::Buffer& buffer, Expected& expected, const std::string& topic,
                     int devices, int per_device, int first = 0, std::size_t value_size = 0);

std::uint64_t pending(buffer::Buffer& buffer);

// Forwarder::create, or fails the test.
std::unique_ptr<Forwarder> make_forwarder(ForwarderOptions options, buffer::Buffer& buffer);

// Waits until nothing is pending (at most `timeout`), then stops the forwarder (5 s deadline).
void drain(buffer::Buffer& buffer, Forwarder& forwarder,
           std::chrono::seconds timeout = std::chrono::seconds(90));

std::int64_t seq_of(const testing::ConsumedRecord& record);

// Every record consumed is one of `expected`, with its key, value, timestamp, `gateway` header,
// on the partition a Java client picks for its key among `partitions`. Returns how often each
// seq arrived.
std::map<std::int64_t, int> check_records(const std::vector<testing::ConsumedRecord>& consumed,
                                          const Expected& expected, const std::string& gateway,
                                          int partitions);

// check_records, and every expected seq arrived at least once (names the missing ones).
// Returns how often each seq arrived.
std::map<std::int64_t, int> check_at_least_once(
    const std::vector<testing::ConsumedRecord>& consumed, const Expected& expected,
    const std::string& gateway, int partitions);

// Every expected seq arrived exactly once, and each device's readings in seq order.
void check_exactly_once(const std::vector<testing::ConsumedRecord>& consumed,
                        const Expected& expected, const std::string& gateway, int partitions);

// Each device's readings arrived in seq order (first arrivals; the consumer reads each
// partition in offset order and a device lives on one partition).
void check_device_order(const std::vector<testing::ConsumedRecord>& consumed);

}  // namespace sensorgate::kafka::checks
