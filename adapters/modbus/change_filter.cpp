#include "adapters/modbus/change_filter.hpp"

#include <cmath>

namespace sensorgate::modbus {

ChangeFilter::ChangeFilter(std::vector<OnChange> rules)
    : rules_(std::move(rules)), last_(rules_.size()) {}

bool ChangeFilter::passes(std::size_t index, const ReadingValue& value, std::int64_t ts_ns) const {
  const OnChange& rule = rules_[index];
  const std::optional<Last>& last = last_[index];
  if (!rule.enabled || !last) return true;
  if (ts_ns - last->ts_ns >= rule.max_interval.count()) return true;
  const double* now = std::get_if<double>(&value);
  const double* before = std::get_if<double>(&last->value);
  if (now != nullptr && before != nullptr) return std::fabs(*now - *before) > rule.deadband;
  return value != last->value;
}

void ChangeFilter::emitted(std::size_t index, const ReadingValue& value, std::int64_t ts_ns) {
  if (tracks(index)) last_[index] = Last{value, ts_ns};
}

}  // namespace sensorgate::modbus
