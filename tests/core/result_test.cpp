#include "core/result.hpp"

#include <catch2/catch.hpp>

using namespace sensorgate;

namespace {
enum class DemoError { kBroken };

Result<int, DemoError> half(int n) {
  if (n % 2 != 0) return make_error(DemoError::kBroken, std::to_string(n) + " is odd");
  return n / 2;
}
}  // namespace

TEST_CASE("a Result holds either the value or the error with its message") {
  auto good = half(8);
  REQUIRE(good.ok());
  CHECK(*good == 4);
  auto bad = half(3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == DemoError::kBroken);
  CHECK(bad.error().message == "3 is odd");
  CHECK_THROWS_AS(bad.value(), std::bad_variant_access);
}

TEST_CASE("a Status is success by default and carries the error otherwise") {
  Status<DemoError> fine;
  CHECK(fine.ok());
  Status<DemoError> failed = make_error(DemoError::kBroken, "no");
  CHECK_FALSE(failed.ok());
  CHECK(failed.error().message == "no");
}
