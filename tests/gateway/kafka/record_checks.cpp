#include "tests/gateway/kafka/record_checks.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "gateway/kafka/java_partition.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::kafka::checks {

std::unique_ptr<buffer::Buffer> open_buffer(const std::filesystem::path& path) {
  auto opened = buffer::Buffer::open({.path = path});
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

void append_readings(buffer::Buffer& buffer, Expected& expected, const std::string& topic,
                     int devices, int per_device, int first, std::size_t value_size) {
  std::vector<buffer::Record> records;
  auto flush = [&] {
    if (records.empty()) return;
    auto range = buffer.append(records);
    REQUIRE(range.ok());
    for (std::int64_t seq = range->first; seq <= range->last; ++seq) {
      expected[seq] = records[static_cast<std::size_t>(seq - range->first)];
    }
    records.clear();
  };
  for (int n = first; n < first + per_device; ++n) {
    for (int device = 0; device < devices; ++device) {
      const std::string name = "device-" + std::to_string(device);
      std::string value =
          R"({"device":")" + name + R"(","metric":"temp","value":)" + std::to_string(n) + "}";
      if (value_size > value.size()) value.append(value_size - value.size(), ' ');
      records.push_back(buffer::Record{topic, name, 1'700'000'000'000'000'000 + n * 1'000'000LL,
                                       std::move(value)});
      if (records.size() == 500) flush();
    }
  }
  flush();
}

std::uint64_t pending(buffer::Buffer& buffer) {
  auto stats = buffer.stats();
  REQUIRE(stats.ok());
  return stats->pending;
}

std::unique_ptr<Forwarder> make_forwarder(ForwarderOptions options, buffer::Buffer& buffer) {
  auto forwarder = Forwarder::create(std::move(options), buffer);
  REQUIRE(forwarder.ok());
  return std::move(forwarder.value());
}

void drain(buffer::Buffer& buffer, Forwarder& forwarder, std::chrono::seconds timeout) {
  REQUIRE(testing::wait_until([&] { return pending(buffer) == 0; }, timeout));
  REQUIRE(forwarder.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

std::int64_t seq_of(const testing::ConsumedRecord& record) {
  const auto header = record.header("seq");
  REQUIRE(header.has_value());
  return std::stoll(*header);
}

std::map<std::int64_t, int> check_records(const std::vector<testing::ConsumedRecord>& consumed,
                                          const Expected& expected, const std::string& gateway,
                                          int partitions) {
  std::map<std::int64_t, int> arrivals;
  for (const testing::ConsumedRecord& record : consumed) {
    const std::int64_t seq = seq_of(record);
    const auto found = expected.find(seq);
    INFO("seq " << seq);
    REQUIRE(found != expected.end());
    const buffer::Record& original = found->second;
    REQUIRE(record.key == original.key);
    REQUIRE(record.value == original.value);
    REQUIRE(record.timestamp_ms == original.ts_ns / 1'000'000);
    REQUIRE(record.header("gateway") == std::optional<std::string>(gateway));
    REQUIRE(record.partition == java_partition(record.key, partitions));
    ++arrivals[seq];
  }
  return arrivals;
}

std::map<std::int64_t, int> check_at_least_once(
    const std::vector<testing::ConsumedRecord>& consumed, const Expected& expected,
    const std::string& gateway, int partitions) {
  const auto arrivals = check_records(consumed, expected, gateway, partitions);
  std::string missing;
  for (const auto& [seq, record] : expected) {
    if (arrivals.count(seq) == 0 && missing.size() < 400) missing += " " + std::to_string(seq);
  }
  INFO(consumed.size() << " records consumed for " << expected.size()
                       << " expected; seqs missing:" << missing);
  REQUIRE(arrivals.size() == expected.size());
  return arrivals;
}

void check_exactly_once(const std::vector<testing::ConsumedRecord>& consumed,
                        const Expected& expected, const std::string& gateway, int partitions) {
  const auto arrivals = check_at_least_once(consumed, expected, gateway, partitions);
  int duplicates = 0;
  for (const auto& [seq, count] : arrivals) duplicates += count - 1;
  INFO(duplicates << " duplicates");
  REQUIRE(duplicates == 0);
  check_device_order(consumed);
}

void check_device_order(const std::vector<testing::ConsumedRecord>& consumed) {
  std::map<std::string, std::int64_t> last_new_seq;
  std::set<std::int64_t> seen;
  for (const testing::ConsumedRecord& record : consumed) {
    const std::int64_t seq = seq_of(record);
    if (!seen.insert(seq).second) continue;
    auto& last = last_new_seq[record.key];
    INFO("device " << record.key << " seq " << seq << " after " << last);
    REQUIRE(seq > last);
    last = seq;
  }
}

}  // namespace sensorgate::kafka::checks
