// RequestPlan: the Modbus read requests one poll makes for a device's registers, as few as the
// protocol allows. Registers of one kind are sorted by address and merged while the next one
// starts at most `max_gap` addresses after the request's end and the request stays within the
// protocol's limit (125 registers, or 2000 coils / discrete inputs). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "adapters/modbus/settings.hpp"

namespace sensorgate::modbus {

inline constexpr int kMaxReadRegisters = 125;  // MODBUS_MAX_READ_REGISTERS
inline constexpr int kMaxReadBits = 2000;      // MODBUS_MAX_READ_BITS

struct ReadRequest {
  RegisterKind kind = RegisterKind::kHolding;
  std::uint16_t address = 0;
  std::uint16_t count = 0;  // registers or bits
};

// Where one configured register's words are in the answers.
struct RegisterSlot {
  std::size_t request = 0;  // index into RequestPlan::requests
  std::size_t offset = 0;   // words (or bits) into that request's answer
};

struct RequestPlan {
  std::vector<ReadRequest> requests;  // by kind, then address
  std::vector<RegisterSlot> slots;    // one per configured register, in config order
};

// The plan for `registers` (as the config check accepts them: each fits below address 65536).
RequestPlan plan_requests(const std::vector<Register>& registers, int max_gap);

}  // namespace sensorgate::modbus
