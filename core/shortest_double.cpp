#include "core/shortest_double.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "core/decimal_digits.hpp"

namespace sensorgate {
namespace {

constexpr double kPowersOfTen[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
constexpr int kMaxDecimals = 6;
// Below 2^33 a double's spacing is under 1e-6, so at most one decimal of <= 6 places reads back
// as the value; 1e9 keeps value * 1e6 far below 2^53, where integers stay exact.
constexpr double kDirectLimit = 1e9;

int digit_count(std::uint64_t n) {
  int count = 1;
  while (n >= 10) {
    n /= 10;
    ++count;
  }
  return count;
}

char* write_with_to_chars(char* first, double value) {
  return std::to_chars(first, first + kShortestDoubleMaxChars, value).ptr;
}

// Length of the scientific form std::to_chars would weigh: d[.ddd]e±XX[X].
int scientific_length(std::uint64_t digits, int digit_total, int exponent) {
  int significant = digit_total;
  while (digits % 10 == 0 && significant > 1) {
    digits /= 10;
    --significant;
  }
  const int magnitude = exponent < 0 ? -exponent : exponent;
  return significant + (significant > 1 ? 1 : 0) + 2 + (magnitude >= 100 ? 3 : 2);
}

}  // namespace

char* write_shortest_double(char* first, double value) {
  const double magnitude = std::fabs(value);
  if (!(magnitude < kDirectLimit)) return write_with_to_chars(first, value);
  // The fewest decimals k whose rounded value * 10^k reads back exactly: the division of two
  // exact doubles rounds as from_chars rounds the decimal text, so the test is exact.
  int decimals = 0;
  std::uint64_t digits = 0;
  for (; decimals <= kMaxDecimals; ++decimals) {
    digits = static_cast<std::uint64_t>(magnitude * kPowersOfTen[decimals] + 0.5);
    if (static_cast<double>(digits) / kPowersOfTen[decimals] == magnitude) break;
  }
  if (decimals > kMaxDecimals) return write_with_to_chars(first, value);
  const int digit_total = digit_count(digits);
  const int fixed_length = decimals == 0            ? digit_total
                           : digit_total > decimals ? digit_total + 1
                                                    : decimals + 2;
  // std::to_chars writes the scientific form when it is strictly shorter (1e+05, 1e-04).
  if (digits != 0 &&
      scientific_length(digits, digit_total, digit_total - 1 - decimals) < fixed_length) {
    return write_with_to_chars(first, value);
  }
  char* out = first;
  if (std::signbit(value)) *out++ = '-';
  if (decimals == 0) return put_digits(out, digits, digit_total);
  if (digit_total > decimals) {
    const auto scale = static_cast<std::uint64_t>(kPowersOfTen[decimals]);
    out = put_digits(out, digits / scale, digit_total - decimals);
  } else {
    *out++ = '0';
  }
  *out++ = '.';
  return put_digits(out, digits, decimals);
}

}  // namespace sensorgate
