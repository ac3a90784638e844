// modbus_tcp settings: the new keys load, registers inherit the adapter's on_change, and a
// register map that cannot work is a `check` error naming file:line:column and the key.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "adapters/modbus/settings.hpp"
#include "tests/config/config_test_util.hpp"

namespace sensorgate::modbus {
namespace {

using namespace std::chrono_literals;
using config::testing::errors_of;
using config::testing::load;
using Lines = std::vector<std::string>;

const std::string kHead =
    "kafka: {brokers: k:9092}\n"
    "adapters:\n"
    "  - name: plc\n"
    "    type: modbus_tcp\n";

// The errors of a config whose registers list is `registers` (one line each, at line 6).
Lines errors_with(const std::string& registers) {
  return errors_of(kHead + "    registers:\n" + registers);
}

TEST_CASE("modbus on_change, deadband, max_interval and max_gap default to off, 0, 1m and 8") {
  const auto outcome = load(kHead + "    registers: [{address: 1, device: d, metric: m}]\n");
  REQUIRE(outcome.ok());
  const auto& modbus = config::settings_of<ModbusSettings>(outcome.config->adapters[0]);
  CHECK(modbus.max_gap == 8);
  CHECK_FALSE(modbus.on_change.enabled);
  CHECK(modbus.on_change.deadband == 0);
  CHECK(modbus.on_change.max_interval == 1min);
  const OnChange rule = effective_on_change(modbus, modbus.registers[0]);
  CHECK_FALSE(rule.enabled);
}

TEST_CASE("registers take the adapter's on_change unless they set their own") {
  const auto outcome = load(kHead +
                            "    on_change: true\n"
                            "    deadband: 0.5\n"
                            "    max_interval: 5m\n"
                            "    max_gap: 0\n"
                            "    registers:\n"
                            "      - {address: 1, device: d, metric: a}\n"
                            "      - {address: 2, device: d, metric: b, on_change: false}\n"
                            "      - {address: 3, device: d, metric: c, deadband: 2, "
                            "max_interval: 10s}\n");
  REQUIRE(outcome.ok());
  const auto& modbus = config::settings_of<ModbusSettings>(outcome.config->adapters[0]);
  CHECK(modbus.max_gap == 0);
  const OnChange a = effective_on_change(modbus, modbus.registers[0]);
  CHECK(a.enabled);
  CHECK(a.deadband == 0.5);
  CHECK(a.max_interval == 5min);
  CHECK_FALSE(effective_on_change(modbus, modbus.registers[1]).enabled);
  const OnChange c = effective_on_change(modbus, modbus.registers[2]);
  CHECK(c.enabled);
  CHECK(c.deadband == 2);
  CHECK(c.max_interval == 10s);
}

TEST_CASE("64-bit types, bits of a register and word orders load as written") {
  const auto outcome =
      load(kHead +
           "    registers:\n"
           "      - {address: 40, type: uint64, order: cdab, device: d, metric: a}\n"
           "      - {address: 44, type: float64, order: dcba, device: d, metric: b}\n"
           "      - {address: 48, kind: input, type: int64, device: d, metric: c}\n"
           "      - {address: 2, type: bool, bit: 15, device: d, metric: alarm}\n"
           "      - {address: 2, type: uint16, bit: 0, device: d, metric: run}\n");
  INFO(config::testing::messages(outcome).size());
  REQUIRE(outcome.ok());
  const auto& regs = config::settings_of<ModbusSettings>(outcome.config->adapters[0]).registers;
  CHECK(regs[0].type == RegisterType::kUint64);
  CHECK(regs[0].order == "cdab");
  CHECK(regs[1].type == RegisterType::kFloat64);
  CHECK(regs[2].type == RegisterType::kInt64);
  CHECK(regs[3].bit == 15);
  CHECK(regs[4].bit == 0);
  CHECK(register_width(regs[0]) == 4);
  CHECK(register_width(regs[3]) == 1);
}

TEST_CASE("a bool holding or input register needs a bit") {
  CHECK(errors_with("      - {address: 1, type: bool, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:28: error: adapters[0].registers[0].type: bool on kind holding "
              "needs bit: 0-15, the bit of the register to read (or kind: coil or discrete)"});
}

TEST_CASE("a bit of a 32- or 64-bit type, or of a coil, is an error") {
  CHECK(errors_with("      - {address: 1, type: int32, bit: 3, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:40: error: adapters[0].registers[0].bit: bit reads one bit of a "
              "16-bit register; int32 spans 2 registers"});
  CHECK(
      errors_with("      - {address: 1, kind: coil, type: bool, bit: 0, device: d, metric: m}\n") ==
      Lines{"sensorgate.yaml:6:51: error: adapters[0].registers[0].bit: bit reads one bit of a "
            "holding or input register; a coil is a single bit already"});
}

TEST_CASE("a bit out of 0-15 is an error") {
  CHECK(errors_with("      - {address: 1, type: bool, bit: 16, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:39: error: adapters[0].registers[0].bit: expected an integer "
              "from 0 to 15, got 16"});
}

TEST_CASE("overlapping 32/64-bit registers are an error naming both") {
  CHECK(errors_with("      - {address: 100, type: float32, device: d, metric: a}\n"
                    "      - {address: 101, device: d, metric: b}\n") ==
        Lines{"sensorgate.yaml:7:19: error: adapters[0].registers[1].address: holding 101-101 "
              "(uint16) overlaps adapters[0].registers[0] (100-101, float32)"});
  CHECK(errors_with("      - {address: 100, type: uint64, device: d, metric: a}\n"
                    "      - {address: 98, type: int32, device: d, metric: b}\n"
                    "      - {address: 103, type: int32, device: d, metric: c}\n") ==
        Lines{"sensorgate.yaml:8:19: error: adapters[0].registers[2].address: holding 103-104 "
              "(int32) overlaps adapters[0].registers[0] (100-103, uint64)"});
}

TEST_CASE("registers that only touch, or 16-bit ones read twice, do not overlap") {
  const auto outcome =
      load(kHead +
           "    registers:\n"
           "      - {address: 100, type: uint32, device: d, metric: a}\n"
           "      - {address: 102, type: float64, device: d, metric: b}\n"
           "      - {address: 100, kind: input, type: uint32, device: d, metric: c}\n"
           "      - {address: 7, type: bool, bit: 1, device: d, metric: e}\n"
           "      - {address: 7, device: d, metric: f}\n");
  CHECK(config::testing::messages(outcome).empty());
}

TEST_CASE("a register that runs past address 65535 is an error") {
  CHECK(errors_with("      - {address: 65535, type: uint32, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:19: error: adapters[0].registers[0].address: uint32 at 65535 "
              "spans 2 registers and ends beyond the last address 65535"});
  CHECK(errors_with("      - {address: 65532, type: int64, device: d, metric: m}\n").empty());
  CHECK(errors_with("      - {address: 65534, type: uint32, device: d, metric: m}\n").empty());
}

TEST_CASE("order on a 16-bit type and scale on a bit are errors") {
  CHECK(errors_with("      - {address: 1, type: int16, order: cdab, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:42: error: adapters[0].registers[0].order: order applies to 32- "
              "and 64-bit types, not int16"});
  CHECK(errors_with(
            "      - {address: 1, kind: coil, type: bool, scale: 2, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:53: error: adapters[0].registers[0].scale: scale applies to "
              "numbers; this register reads one bit"});
}

TEST_CASE("an unknown word order gets the four allowed ones") {
  CHECK(errors_with("      - {address: 1, type: int32, order: abdc, device: d, metric: m}\n") ==
        Lines{"sensorgate.yaml:6:42: error: adapters[0].registers[0].order: expected abcd, "
              "badc, cdab or dcba, got \"abdc\"; did you mean \"abcd\"?"});
}

TEST_CASE("a negative deadband and a non-boolean on_change are errors") {
  CHECK(errors_of(kHead + "    deadband: -1\n"
                          "    on_change: yes\n"
                          "    registers: [{address: 1, device: d, metric: m}]\n") ==
        Lines{"sensorgate.yaml:5:15: error: adapters[0].deadband: expected a number >= 0, got -1",
              "sensorgate.yaml:6:16: error: adapters[0].on_change: expected true or false, got "
              "\"yes\""});
}

}  // namespace
}  // namespace sensorgate::modbus
