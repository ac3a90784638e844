// The modbus adapter against a real libmodbus device (tests/tools/modbus_server) on loopback:
// values decoded, scaled and ordered right from every type, order, bit and kind; the request
// merging seen from the device's side; a silent device that delays no other; on_change against
// an injected clock; failures counted by reason.
#include <catch2/catch.hpp>

#include <bit>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/modbus/modbus_adapter.hpp"
#include "tests/adapters/modbus/modbus_device.hpp"
#include "tests/config/config_test_util.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::modbus {
namespace {

using adapters::RejectReason;
using namespace std::chrono_literals;
using testing::ModbusDevice;
using testing::wait_until;

constexpr std::int64_t kPollTimeNs = 1'763'856'000'123'456'789;

// Keeps what the adapter submits, with the time each batch arrived.
class CollectingSink final : public adapters::ReadingSink {
 public:
  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override {
    return submit(std::move(readings));
  }
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override {
    std::lock_guard lock(mutex_);
    arrivals_.push_back(std::chrono::steady_clock::now());
    for (Reading& reading : readings) readings_.push_back(std::move(reading));
    return {};
  }
  std::vector<Reading> readings() const {
    std::lock_guard lock(mutex_);
    return readings_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return readings_.size();
  }
  std::vector<std::chrono::steady_clock::time_point> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Reading> readings_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

// The settings of a modbus_tcp adapter written as YAML keys under the adapter.
ModbusSettings settings_of(const std::string& keys) {
  const auto outcome = config::testing::load(
      "kafka: {brokers: k:9092}\n"
      "adapters:\n"
      "  - name: plc\n"
      "    type: modbus_tcp\n" +
      keys);
  INFO(config::testing::messages(outcome).size());
  REQUIRE(outcome.ok());
  return config::settings_of<ModbusSettings>(outcome.config->adapters[0]);
}

std::uint64_t rejected(const ModbusAdapter& adapter, RejectReason reason) {
  const auto counters = adapter.counters();
  const auto found = counters.rejected.find(reason);
  return found == counters.rejected.end() ? 0 : found->second;
}

std::map<std::string, ReadingValue> by_metric(const std::vector<Reading>& readings) {
  std::map<std::string, ReadingValue> out;
  for (const Reading& reading : readings) out[reading.metric] = reading.value;
  return out;
}

const std::string kEveryType =
    "    registers:\n"
    "      - {address: 0, device: boiler, metric: u16, scale: 0.01, unit: bar, topic: t.modbus}\n"
    "      - {address: 1, type: int16, device: boiler, metric: i16}\n"
    "      - {address: 2, type: bool, bit: 0, device: boiler, metric: bit0}\n"
    "      - {address: 2, type: bool, bit: 1, device: boiler, metric: bit1}\n"
    "      - {address: 2, type: uint16, bit: 15, device: boiler, metric: bit15}\n"
    "      - {address: 10, type: uint32, order: abcd, device: boiler, metric: u32_abcd}\n"
    "      - {address: 12, type: uint32, order: cdab, device: boiler, metric: u32_cdab}\n"
    "      - {address: 14, type: uint32, order: badc, device: boiler, metric: u32_badc}\n"
    "      - {address: 16, type: uint32, order: dcba, device: boiler, metric: u32_dcba}\n"
    "      - {address: 20, type: int32, order: abcd, device: boiler, metric: i32_abcd}\n"
    "      - {address: 22, type: int32, order: cdab, device: boiler, metric: i32_cdab}\n"
    "      - {address: 24, type: int32, order: badc, device: boiler, metric: i32_badc}\n"
    "      - {address: 26, type: int32, order: dcba, device: boiler, metric: i32_dcba}\n"
    "      - {address: 30, type: float32, order: abcd, device: boiler, metric: f32_abcd}\n"
    "      - {address: 32, type: float32, order: cdab, device: boiler, metric: f32_cdab}\n"
    "      - {address: 34, type: float32, order: badc, device: boiler, metric: f32_badc}\n"
    "      - {address: 36, type: float32, order: dcba, device: boiler, metric: f32_dcba}\n"
    "      - {address: 40, type: uint64, order: abcd, device: boiler, metric: u64_abcd}\n"
    "      - {address: 44, type: uint64, order: cdab, device: boiler, metric: u64_cdab}\n"
    "      - {address: 48, type: uint64, order: badc, device: boiler, metric: u64_badc}\n"
    "      - {address: 52, type: uint64, order: dcba, device: boiler, metric: u64_dcba}\n"
    "      - {address: 60, type: int64, order: abcd, device: boiler, metric: i64_abcd}\n"
    "      - {address: 64, type: int64, order: cdab, device: boiler, metric: i64_cdab}\n"
    "      - {address: 68, type: int64, order: badc, device: boiler, metric: i64_badc}\n"
    "      - {address: 72, type: int64, order: dcba, device: boiler, metric: i64_dcba}\n"
    "      - {address: 80, type: float64, order: abcd, device: boiler, metric: f64_abcd}\n"
    "      - {address: 84, type: float64, order: cdab, device: boiler, metric: f64_cdab}\n"
    "      - {address: 88, type: float64, order: badc, device: boiler, metric: f64_badc}\n"
    "      - {address: 92, type: float64, order: dcba, device: boiler, metric: f64_dcba}\n"
    "      - {address: 0, kind: input, device: boiler, metric: input0, offset: -21}\n"
    "      - {address: 30, kind: input, type: float32, device: boiler, metric: input_f32}\n"
    "      - {address: 0, kind: coil, type: bool, device: boiler, metric: coil0}\n"
    "      - {address: 1, kind: coil, type: bool, device: boiler, metric: coil1}\n"
    "      - {address: 3, kind: coil, type: bool, device: boiler, metric: coil3}\n"
    "      - {address: 0, kind: discrete, type: bool, device: boiler, metric: discrete0}\n"
    "      - {address: 1, kind: discrete, type: bool, device: boiler, metric: discrete1}\n";
constexpr std::size_t kEveryTypeCount = 36;

std::string device_keys(const ModbusDevice& device, const std::string& more = "") {
  return "    port: " + std::to_string(device.port()) + "\n    poll: 1h\n" + more;
}

TEST_CASE("every type, byte order, bit and kind arrives decoded and scaled, stamped at poll time") {
  ModbusDevice device;
  ManualClock clock(kPollTimeNs);
  CollectingSink sink;
  ModbusAdapter adapter("plc", settings_of(device_keys(device) + kEveryType), clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return sink.size() >= kEveryTypeCount; }));

  const std::vector<Reading> readings = sink.readings();
  CHECK(readings.size() == kEveryTypeCount);
  for (const Reading& reading : readings) {
    CHECK(reading.device == "boiler");
    CHECK(reading.ts_ns == kPollTimeNs);
  }
  CHECK(readings[0].unit == "bar");
  CHECK(readings[0].topic == "t.modbus");
  auto values = by_metric(readings);
  CHECK(values["u16"] == ReadingValue(500.0));
  CHECK(values["i16"] == ReadingValue(-1234.0));
  CHECK(values["bit0"] == ReadingValue(true));
  CHECK(values["bit1"] == ReadingValue(false));
  CHECK(values["bit15"] == ReadingValue(1.0));
  const double pi32 = static_cast<double>(std::bit_cast<float>(0x40490FDBu));
  for (const std::string order : {"abcd", "cdab", "badc", "dcba"}) {
    INFO(order);
    CHECK(values["u32_" + order] == ReadingValue(305419896.0));
    CHECK(values["i32_" + order] == ReadingValue(-123456789.0));
    CHECK(values["f32_" + order] == ReadingValue(pi32));
    CHECK(values["u64_" + order] == ReadingValue(static_cast<double>(0x0102030405060708ull)));
    CHECK(values["i64_" + order] == ReadingValue(-1234567890123.0));
    CHECK(values["f64_" + order] == ReadingValue(-2.718281828459045));
  }
  CHECK(values["input0"] == ReadingValue(4300.0));
  CHECK(values["input_f32"] == ReadingValue(pi32));
  CHECK(values["coil0"] == ReadingValue(true));
  CHECK(values["coil1"] == ReadingValue(false));
  CHECK(values["coil3"] == ReadingValue(true));
  CHECK(values["discrete0"] == ReadingValue(false));
  CHECK(values["discrete1"] == ReadingValue(true));
  CHECK(adapter.health().up);
  adapter.stop(1s);
}

TEST_CASE("one poll of 36 registers costs the device 5 requests, 12 without gap bridging") {
  ModbusDevice device;
  SystemClock clock;
  {
    CollectingSink sink;
    ModbusAdapter adapter("plc", settings_of(device_keys(device) + kEveryType), clock);
    REQUIRE(adapter.start(sink).ok());
    REQUIRE(wait_until([&] { return sink.size() >= kEveryTypeCount; }));
    adapter.stop(1s);
    // holding 0-95 (gaps of 7, 2 and 4 bridged), input 0 and 30-31 (a gap of 29), coils 0-3,
    // discrete 0-1.
    CHECK(device.requests() == 5);
    CHECK(adapter.counters().messages_received == 5);
    CHECK(adapter.counters().readings_received == kEveryTypeCount);
  }
  REQUIRE(device.command("reset") == "ok");
  CollectingSink sink;
  ModbusAdapter adapter("plc", settings_of(device_keys(device, "    max_gap: 0\n") + kEveryType),
                        clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return sink.size() >= kEveryTypeCount; }));
  adapter.stop(1s);
  // holding 0-2, 10-17, 20-27, 30-37, 40-55, 60-75, 80-95; input 0 and 30-31; coils 0-1 and 3;
  // discrete 0-1.
  CHECK(device.requests() == 12);
}

TEST_CASE("a silent device does not delay another adapter's polls") {
  ModbusDevice good_device;
  ModbusDevice silent_device({.silent = true});
  SystemClock clock;
  CollectingSink good_sink, silent_sink;
  const std::string registers = "    registers: [{address: 0, device: d, metric: m}]\n";
  ModbusAdapter good("good",
                     settings_of("    port: " + std::to_string(good_device.port()) +
                                 "\n    poll: 20ms\n    timeout: 2s\n" + registers),
                     clock);
  ModbusAdapter silent("silent",
                       settings_of("    port: " + std::to_string(silent_device.port()) +
                                   "\n    poll: 20ms\n    timeout: 2s\n" + registers),
                       clock);
  REQUIRE(silent.start(silent_sink).ok());
  REQUIRE(good.start(good_sink).ok());
  const auto since = std::chrono::steady_clock::now();
  // Two timeouts of the silent one: at least 4 s in which the good one kept polling.
  REQUIRE(wait_until([&] { return rejected(silent, RejectReason::kTimeout) >= 2; }, 30s));
  const auto until = std::chrono::steady_clock::now();
  CHECK_FALSE(silent.health().up);
  CHECK_THAT(silent.health().detail, Catch::Contains("Connection timed out"));
  CHECK(good.health().up);
  good.stop(1s);
  silent.stop(1s);

  CHECK(silent_sink.size() == 0);
  std::vector<std::chrono::steady_clock::time_point> polls;
  for (const auto& at : good_sink.arrivals()) {
    if (at >= since && at <= until) polls.push_back(at);
  }
  // 20 ms polls over >= 4 s make ~200; a loaded box still makes far more than 20. Had the good
  // one waited for the silent one, it would have gaps of the 2 s timeout.
  CHECK(polls.size() >= 20);
  std::chrono::steady_clock::duration longest{0};
  for (std::size_t i = 1; i < polls.size(); ++i)
    longest = std::max(longest, polls[i] - polls[i - 1]);
  CHECK(longest < 2s);
}

TEST_CASE("on_change holds back repeats, emits changes and once every max_interval") {
  ModbusDevice device;
  ManualClock clock(kPollTimeNs);
  CollectingSink sink;
  ModbusAdapter adapter(
      "plc",
      settings_of("    port: " + std::to_string(device.port()) +
                  "\n    poll: 10ms\n    on_change: true\n    max_interval: 10s\n"
                  "    registers:\n"
                  "      - {address: 500, device: d, metric: level}\n"
                  "      - {address: 501, device: d, metric: every_poll, on_change: false}\n"),
      clock);
  REQUIRE(adapter.start(sink).ok());
  auto level_readings = [&] {
    std::vector<Reading> out;
    for (const Reading& reading : sink.readings()) {
      if (reading.metric == "level") out.push_back(reading);
    }
    return out;
  };
  auto polls = [&] {
    std::size_t count = 0;
    for (const Reading& reading : sink.readings()) count += reading.metric == "every_poll";
    return count;
  };
  REQUIRE(wait_until([&] { return level_readings().size() == 1; }));
  // Ten more polls of the same value: nothing new for `level`.
  const std::size_t before = polls();
  REQUIRE(wait_until([&] { return polls() >= before + 10; }));
  CHECK(level_readings().size() == 1);

  clock.advance(10s);
  REQUIRE(wait_until([&] { return level_readings().size() == 2; }));
  CHECK(level_readings()[1].ts_ns == kPollTimeNs + 10'000'000'000);

  REQUIRE(device.command("set holding 500 7") == "ok");
  REQUIRE(wait_until([&] { return level_readings().size() == 3; }));
  CHECK(level_readings()[2].value == ReadingValue(7.0));
  const std::size_t after_change = polls();
  REQUIRE(wait_until([&] { return polls() >= after_change + 10; }));
  CHECK(level_readings().size() == 3);
  adapter.stop(1s);
}

TEST_CASE(
    "a refused connection is counted as connection_refused, retried, and the adapter is down") {
  SystemClock clock;
  CollectingSink sink;
  ModbusAdapter adapter("plc",
                        settings_of("    port: " + std::to_string(testing::free_tcp_port()) +
                                    "\n    registers: [{address: 0, device: d, metric: m}]\n"),
                        clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return rejected(adapter, RejectReason::kConnectionRefused) >= 3; }));
  CHECK_FALSE(adapter.health().up);
  CHECK_THAT(adapter.health().detail, Catch::Contains("cannot connect to 127.0.0.1:"));
  CHECK_THAT(adapter.health().detail, Catch::Contains("Connection refused"));
  adapter.stop(1s);
}

TEST_CASE(
    "an exception answer is counted by its code, and the device's other requests still deliver") {
  ModbusDevice device;
  REQUIRE(device.command("set holding 30 0x7FC0 0") == "ok");  // a float32 NaN
  SystemClock clock;
  CollectingSink sink;
  ModbusAdapter adapter("plc",
                        settings_of(device_keys(device) +
                                    "    registers:\n"
                                    "      - {address: 0, device: d, metric: ok}\n"
                                    "      - {address: 30, type: float32, device: d, metric: nan}\n"
                                    "      - {address: 20000, device: d, metric: missing}\n"),
                        clock);
  REQUIRE(adapter.start(sink).ok());
  REQUIRE(wait_until([&] { return rejected(adapter, RejectReason::kIllegalDataAddress) == 1; }));
  REQUIRE(wait_until([&] { return sink.size() == 1; }));
  CHECK(sink.readings()[0].metric == "ok");
  CHECK(rejected(adapter, RejectReason::kBadNumber) == 1);
  CHECK(adapter.health().up);
  adapter.stop(1s);
}

TEST_CASE("stop cuts short a request that waits on a silent device") {
  ModbusDevice silent_device({.silent = true});
  SystemClock clock;
  CollectingSink sink;
  ModbusAdapter adapter("plc",
                        settings_of("    port: " + std::to_string(silent_device.port()) +
                                    "\n    timeout: 60s\n"
                                    "    registers: [{address: 0, device: d, metric: m}]\n"),
                        clock);
  REQUIRE(adapter.start(sink).ok());
  const auto start = std::chrono::steady_clock::now();
  adapter.stop(1s);
  // Far below the 60 s timeout the request would otherwise wait.
  CHECK(std::chrono::steady_clock::now() - start < 30s);
  CHECK(rejected(adapter, RejectReason::kTimeout) == 0);
}

}  // namespace
}  // namespace sensorgate::modbus
