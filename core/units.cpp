#include "core/units.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace sensorgate {
namespace {

struct Unit {
  std::string_view name;
  long double factor;
};

constexpr std::array<Unit, 7> kDurationUnits{{{"ns", 1.0L},
                                              {"us", 1e3L},
                                              {"ms", 1e6L},
                                              {"s", 1e9L},
                                              {"m", 60e9L},
                                              {"h", 3600e9L},
                                              {"d", 86400e9L}}};

constexpr std::array<Unit, 9> kSizeUnits{{{"B", 1.0L},
                                          {"KiB", 1024.0L},
                                          {"MiB", 1048576.0L},
                                          {"GiB", 1073741824.0L},
                                          {"TiB", 1099511627776.0L},
                                          {"KB", 1e3L},
                                          {"MB", 1e6L},
                                          {"GB", 1e9L},
                                          {"TB", 1e12L}}};

struct NumberAndUnit {
  long double number;
  std::string_view unit;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "1.5 s" into 1.5 and "s"; digits with at most one '.', no sign, no exponent.
Result<NumberAndUnit, UnitParseError> split_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return make_error(UnitParseError::kEmpty, "empty value");
  std::size_t end = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  long double whole = 0;
  long double fraction_scale = 1;
  for (; end < text.size(); ++end) {
    const char c = text[end];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
      if (seen_dot) {
        fraction_scale /= 10;
        whole += (c - '0') * fraction_scale;
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!seen_digit) {
    return make_error(UnitParseError::kNotANumber,
                      "'" + std::string(text) + "' does not start with a number");
  }
  return NumberAndUnit{whole, trim(text.substr(end))};
}

template <std::size_t N>
const Unit* find_unit(const std::array<Unit, N>& units, std::string_view name) {
  for (const Unit& unit : units) {
    if (unit.name == name) return &unit;
  }
  return nullptr;
}

template <std::size_t N>
std::string unit_list(const std::array<Unit, N>& units) {
  std::string list;
  for (const Unit& unit : units) {
    if (!list.empty()) list += ", ";
    list += unit.name;
  }
  return list;
}

}  // namespace

Result<std::chrono::nanoseconds, UnitParseError> parse_duration(std::string_view text) {
  auto split = split_number(text);
  if (!split) return split.error();
  if (split->unit.empty()) {
    return make_error(UnitParseError::kUnknownUnit, "'" + std::string(trim(text)) +
                                                        "' has no unit; write e.g. 500ms, 10s, 2m "
                                                        "(units: " +
                                                        unit_list(kDurationUnits) + ")");
  }
  const Unit* unit = find_unit(kDurationUnits, split->unit);
  if (unit == nullptr) {
    return make_error(UnitParseError::kUnknownUnit, "unknown duration unit '" +
                                                        std::string(split->unit) + "' (units: " +
                                                        unit_list(kDurationUnits) + ")");
  }
  const long double ns = std::round(split->number * unit->factor);
  if (ns > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) {
    return make_error(UnitParseError::kOutOfRange, "'" + std::string(trim(text)) + "' is too long");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

Result<Bytes, UnitParseError> parse_size(std::string_view text) {
  auto split = split_number(text);
  if (!split) return split.error();
  const Unit* unit = split->unit.empty() ? &kSizeUnits[0] : find_unit(kSizeUnits, split->unit);
  if (unit == nullptr) {
    return make_error(UnitParseError::kUnknownUnit, "unknown size unit '" +
                                                        std::string(split->unit) + "' (units: " +
                                                        unit_list(kSizeUnits) + ")");
  }
  const long double bytes = std::round(split->number * unit->factor);
  if (bytes > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) {
    return make_error(UnitParseError::kOutOfRange, "'" + std::string(trim(text)) + "' is too large");
  }
  return Bytes{static_cast<std::uint64_t>(bytes)};
}

std::string format_bytes(Bytes size) {
  static constexpr std::array<std::string_view, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  if (size.count < 1024) return std::to_string(size.count) + " B";
  long double value = static_cast<long double>(size.count);
  std::size_t index = 0;
  while (value >= 1024 && index + 1 < kNames.size()) {
    value /= 1024;
    ++index;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1Lf %s", value, kNames[index].data());
  return text;
}

std::string format_age(std::chrono::seconds age) {
  const long long total = age.count() < 0 ? 0 : age.count();
  char text[32];
  if (total < 60) {
    std::snprintf(text, sizeof text, "%llds", total);
  } else if (total < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", total / 60, total % 60);
  } else if (total < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", total / 3600, total % 3600 / 60);
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", total / 86400, total % 86400 / 3600);
  }
  return text;
}

std::string format_duration(std::chrono::nanoseconds duration) {
  const long long ns = duration.count();
  if (ns == 0) return "0s";
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    const auto factor = static_cast<long long>(it->factor);
    if (ns % factor == 0) return std::to_string(ns / factor) + std::string(it->name);
  }
  return std::to_string(ns) + "ns";
}

std::string format_size(Bytes size) {
  static constexpr std::array<std::string_view, 4> kBinary{"TiB", "GiB", "MiB", "KiB"};
  for (std::size_t i = 0; i < kBinary.size(); ++i) {
    const std::uint64_t factor = std::uint64_t{1} << (10 * (kBinary.size() - i));
    if (size.count != 0 && size.count % factor == 0) {
      return std::to_string(size.count / factor) + std::string(kBinary[i]);
    }
  }
  return std::to_string(size.count) + "B";
}

}  // namespace sensorgate
