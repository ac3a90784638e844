#include "core/shortest_double.hpp"

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace sensorgate;

namespace {

std::string ours(double value) {
  char text[kShortestDoubleMaxChars];
  return std::string(text, write_shortest_double(text, value));
}

std::string reference(double value) {
  char text[64];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

// Counts the values of `values` whose text differs from std::to_chars's, keeping the first.
template <typename Values>
std::size_t mismatches(const Values& values, std::string& first_mismatch) {
  std::size_t count = 0;
  for (const double value : values) {
    if (ours(value) == reference(value)) continue;
    if (count++ == 0) first_mismatch = reference(value) + " written as " + ours(value);
  }
  return count;
}

}  // namespace

TEST_CASE("doubles are written as std::to_chars writes them, for the values sensors send") {
  std::vector<double> values;
  // Every decimal of up to six places that a meter reports, both signs, around each magnitude.
  for (int decimals = 0; decimals <= 7; ++decimals) {
    const double scale = std::pow(10.0, decimals);
    for (std::int64_t n = -20'000; n <= 20'000; ++n)
      values.push_back(static_cast<double>(n) / scale);
    for (std::int64_t n = 999'000'000; n <= 1'000'001'000; n += 7) {
      values.push_back(static_cast<double>(n) / scale);
    }
  }
  std::string first;
  const std::size_t wrong = mismatches(values, first);
  INFO(first);
  CHECK(wrong == 0);
}

TEST_CASE("doubles are written as std::to_chars writes them, at the edges of the direct path") {
  const double edges[] = {0.0,
                          -0.0,
                          0.001,
                          0.0001,
                          0.00012,
                          0.000123,
                          0.0001234,
                          0.00001,
                          100000.0,
                          1e5 + 1,
                          120000.0,
                          1234567.0,
                          10.0,
                          100.0,
                          1e8,
                          999999999.0,
                          999999999.999999,
                          1e9,
                          std::nextafter(1e9, 0.0),
                          0.1 + 0.2,
                          1.0 / 3.0,
                          5e-324,
                          std::numeric_limits<double>::min(),
                          std::numeric_limits<double>::max(),
                          std::numeric_limits<double>::lowest(),
                          std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          9007199254740993.0,
                          0.5,
                          2.5e-7};
  std::string first;
  const std::size_t wrong = mismatches(edges, first);
  INFO(first);
  CHECK(wrong == 0);
  CHECK(ours(std::numeric_limits<double>::quiet_NaN()) ==
        reference(std::numeric_limits<double>::quiet_NaN()));
}

TEST_CASE("doubles are written as std::to_chars writes them, for random bit patterns") {
  std::mt19937_64 random(20261203);
  std::vector<double> values;
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    values.push_back(value);
    // Values of the direct path's range with noise in their last bits.
    values.push_back(std::nextafter(static_cast<double>(bits % 100'000'000) / 1000.0, 0.0));
    values.push_back(static_cast<double>(bits % 1'000'000'000) * 1e-9);
  }
  std::string first;
  const std::size_t wrong = mismatches(values, first);
  INFO(first);
  CHECK(wrong == 0);
}
