// ChangeFilter: the on_change rule of a device's registers. A value passes when the register has
// on_change off, when it is the register's first, when it moved more than the deadband from the
// last value emitted (a bool: when it flipped), or when max_interval has passed since the last
// one emitted. Times are the readings' own (poll time, from the injected Clock), so tests need no
// sleeping. Used by one poll thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "adapters/modbus/settings.hpp"
#include "core/reading.hpp"

namespace sensorgate::modbus {

class ChangeFilter {
 public:
  // One rule per register, indexed like the registers.
  explicit ChangeFilter(std::vector<OnChange> rules);

  // Whether register `index` with `value` at `ts_ns` is to be emitted; changes nothing.
  bool passes(std::size_t index, const ReadingValue& value, std::int64_t ts_ns) const;
  // Whether register `index` has on_change on: only then does emitted() need to be told.
  bool tracks(std::size_t index) const { return rules_[index].enabled; }
  // Records that register `index` emitted `value` at `ts_ns` (once the sink took it); nothing
  // for a register it does not track.
  void emitted(std::size_t index, const ReadingValue& value, std::int64_t ts_ns);

 private:
  struct Last {
    ReadingValue value;
    std::int64_t ts_ns = 0;
  };
  std::vector<OnChange> rules_;
  std::vector<std::optional<Last>> last_;
};

}  // namespace sensorgate::modbus
