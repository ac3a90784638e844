// One poll reads every register in as few requests as the protocol allows.
#include <catch2/catch.hpp>

#include <vector>

#include "adapters/modbus/request_plan.hpp"

namespace sensorgate::modbus {
namespace {

Register reg(RegisterKind kind, std::uint16_t address, RegisterType type = RegisterType::kUint16) {
  Register out;
  out.kind = kind;
  out.address = address;
  out.type = type;
  return out;
}

struct Span {
  RegisterKind kind;
  int address;
  int count;
  bool operator==(const Span&) const = default;
};

std::vector<Span> spans(const RequestPlan& plan) {
  std::vector<Span> out;
  for (const ReadRequest& r : plan.requests) out.push_back({r.kind, r.address, r.count});
  return out;
}

TEST_CASE("contiguous registers of one kind are read in one request, in any config order") {
  const std::vector<Register> registers{
      reg(RegisterKind::kHolding, 12, RegisterType::kFloat32),
      reg(RegisterKind::kHolding, 10, RegisterType::kUint32),
      reg(RegisterKind::kHolding, 14, RegisterType::kInt64),
      reg(RegisterKind::kHolding, 18),
  };
  const RequestPlan plan = plan_requests(registers, 0);
  CHECK(spans(plan) == std::vector<Span>{{RegisterKind::kHolding, 10, 9}});
  CHECK(plan.slots[0].offset == 2);
  CHECK(plan.slots[1].offset == 0);
  CHECK(plan.slots[2].offset == 4);
  CHECK(plan.slots[3].offset == 8);
}

TEST_CASE("kinds are never merged, each kind with its own function") {
  const std::vector<Register> registers{
      reg(RegisterKind::kInput, 1), reg(RegisterKind::kHolding, 1), reg(RegisterKind::kHolding, 0),
      reg(RegisterKind::kCoil, 0),  reg(RegisterKind::kCoil, 1),    reg(RegisterKind::kDiscrete, 2),
  };
  CHECK(spans(plan_requests(registers, 8)) == std::vector<Span>{{RegisterKind::kHolding, 0, 2},
                                                                {RegisterKind::kInput, 1, 1},
                                                                {RegisterKind::kCoil, 0, 2},
                                                                {RegisterKind::kDiscrete, 2, 1}});
}

TEST_CASE("a gap up to max_gap is bridged, a wider one splits the request") {
  const std::vector<Register> registers{reg(RegisterKind::kHolding, 0),
                                        reg(RegisterKind::kHolding, 5),
                                        reg(RegisterKind::kHolding, 20)};
  // 1..4 is a gap of 4; 6..19 one of 14.
  CHECK(spans(plan_requests(registers, 4)) ==
        std::vector<Span>{{RegisterKind::kHolding, 0, 6}, {RegisterKind::kHolding, 20, 1}});
  CHECK(spans(plan_requests(registers, 3)) == std::vector<Span>{{RegisterKind::kHolding, 0, 1},
                                                                {RegisterKind::kHolding, 5, 1},
                                                                {RegisterKind::kHolding, 20, 1}});
  CHECK(spans(plan_requests(registers, 14)).size() == 1);
}

TEST_CASE("a request holds at most 125 registers or 2000 coils") {
  std::vector<Register> registers;
  for (int i = 0; i < 300; ++i) registers.push_back(reg(RegisterKind::kHolding, i));
  CHECK(spans(plan_requests(registers, 0)) == std::vector<Span>{{RegisterKind::kHolding, 0, 125},
                                                                {RegisterKind::kHolding, 125, 125},
                                                                {RegisterKind::kHolding, 250, 50}});
  std::vector<Register> coils;
  for (int i = 0; i < 4500; ++i) coils.push_back(reg(RegisterKind::kCoil, i, RegisterType::kBool));
  CHECK(spans(plan_requests(coils, 0)) == std::vector<Span>{{RegisterKind::kCoil, 0, 2000},
                                                            {RegisterKind::kCoil, 2000, 2000},
                                                            {RegisterKind::kCoil, 4000, 500}});
  // A 32-bit value is never split across requests.
  std::vector<Register> wide;
  for (int i = 0; i < 63; ++i) {
    wide.push_back(
        reg(RegisterKind::kInput, static_cast<std::uint16_t>(2 * i), RegisterType::kUint32));
  }
  CHECK(spans(plan_requests(wide, 0)) ==
        std::vector<Span>{{RegisterKind::kInput, 0, 124}, {RegisterKind::kInput, 124, 2}});
}

TEST_CASE("several bits of one status word share its register") {
  std::vector<Register> registers;
  for (int bit = 0; bit < 4; ++bit) {
    Register status = reg(RegisterKind::kHolding, 7, RegisterType::kBool);
    status.bit = bit;
    registers.push_back(status);
  }
  const RequestPlan plan = plan_requests(registers, 0);
  CHECK(spans(plan) == std::vector<Span>{{RegisterKind::kHolding, 7, 1}});
  for (const RegisterSlot& slot : plan.slots) CHECK(slot.offset == 0);
}

TEST_CASE("registers at the top of the address space plan without overflow") {
  const std::vector<Register> registers{reg(RegisterKind::kHolding, 65532, RegisterType::kUint64),
                                        reg(RegisterKind::kHolding, 65530)};
  CHECK(spans(plan_requests(registers, 8)) ==
        std::vector<Span>{{RegisterKind::kHolding, 65530, 6}});
}

}  // namespace
}  // namespace sensorgate::modbus
