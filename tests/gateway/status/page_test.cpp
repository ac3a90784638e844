// The status page: one self-contained document under 30 KB that polls /status every 2 s. How it
// renders is proven in a real browser (tests/gateway/e2e/status_page_test.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "gateway/status/page.hpp"

namespace sensorgate::status {

TEST_CASE("the status page is one HTML document under 30 KB without external assets") {
  const std::string page(status_page());
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.size() < 30 * 1024);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  CHECK(page.find("url(") == std::string::npos);
  CHECK(page.find("fetch(\"status\"") != std::string::npos);
  CHECK(page.find("POLL_MS = 2000") != std::string::npos);
  CHECK(page.find("name=\"viewport\"") != std::string::npos);
}

}  // namespace sensorgate::status
