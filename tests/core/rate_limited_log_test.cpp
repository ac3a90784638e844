#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "core/log.hpp"
#include "support/temp_dir.hpp"

using namespace sensorgate;

namespace {

// Runs `body` with this process's stderr going to a file; returns what was written.
template <typename Body>
std::string captured_stderr(Body body) {
  testing::TempDir dir;
  const auto path = dir / "stderr";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(saved >= 0);
  REQUIRE(file >= 0);
  ::dup2(file, STDERR_FILENO);
  ::close(file);
  body();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  return testing::read_file(path);
}

// The lines without their leading time (the test's stderr is no journal).
std::string without_times(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto line = text.substr(start, end - start);
    out += line.substr(line.find(' ') + 1) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("a rate-limited log writes the first line and reports the held-back repeats at flush") {
  const auto text = captured_stderr([] {
    RateLimitedLog log(LogLevel::kWarning, "mqtt[plant]", std::chrono::hours(1));
    for (int i = 0; i < 313; ++i) log.log("bad json on plant/x, message " + std::to_string(i));
    log.flush();
    log.flush();  // nothing more held back: no line
    log.log("one more");
  });  // the destructor reports the last one
  const auto lines = without_times(text);
  const std::string expected_prefix =
      "warning mqtt[plant]: bad json on plant/x, message 0\n"
      "warning mqtt[plant]: bad json on plant/x, message 312 (repeated 312 times in ";
  REQUIRE(lines.substr(0, expected_prefix.size()) == expected_prefix);
  CHECK(lines.find("warning mqtt[plant]: one more (repeated 1 time in ") != std::string::npos);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);
}
