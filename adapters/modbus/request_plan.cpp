#include "adapters/modbus/request_plan.hpp"

#include <algorithm>
#include <numeric>

namespace sensorgate::modbus {

RequestPlan plan_requests(const std::vector<Register>& registers, int max_gap) {
  RequestPlan plan;
  plan.slots.resize(registers.size());
  std::vector<std::size_t> order(registers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (registers[a].kind != registers[b].kind) return registers[a].kind < registers[b].kind;
    return registers[a].address < registers[b].address;
  });

  long start = 0, end = 0;  // the open request covers [start, end)
  for (const std::size_t index : order) {
    const Register& reg = registers[index];
    const bool bits = reg.kind == RegisterKind::kCoil || reg.kind == RegisterKind::kDiscrete;
    const long limit = bits ? kMaxReadBits : kMaxReadRegisters;
    const long first = reg.address;
    const long last = first + register_width(reg);
    const bool fits = !plan.requests.empty() && plan.requests.back().kind == reg.kind &&
                      first - end <= max_gap && std::max(end, last) - start <= limit;
    if (fits) {
      end = std::max(end, last);
    } else {
      plan.requests.push_back({reg.kind, static_cast<std::uint16_t>(first), 0});
      start = first;
      end = last;
    }
    plan.requests.back().count = static_cast<std::uint16_t>(end - start);
    plan.slots[index] = {plan.requests.size() - 1, static_cast<std::size_t>(first - start)};
  }
  return plan;
}

}  // namespace sensorgate::modbus
