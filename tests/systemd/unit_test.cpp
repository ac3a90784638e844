// The shipped unit, systemd/sensorgate.service, checked by systemd's own tools offline (this
// machine need not run systemd): `systemd-analyze verify` and `systemd-analyze security`.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

struct Outcome {
  int exit_code;
  std::string output;  // stdout and stderr
};

Outcome run(const TempDir& dir, std::vector<std::string> argv) {
  SubprocessOptions options;
  options.stderr_file = dir / "stderr";
  Subprocess process(std::move(argv), options);
  std::string output;
  while (auto line = process.read_line(std::chrono::seconds(30))) output += *line + "\n";
  const auto status = process.wait(std::chrono::seconds(30));
  REQUIRE(status);
  return {exit_code_of(*status), output + read_file(dir / "stderr")};
}

// The unit as shipped, with ExecStart pointing at the binary of this build (verify checks that
// the command exists and is executable).
std::filesystem::path unit_for_this_build(const TempDir& dir) {
  std::string unit = read_file(std::string(SENSORGATE_SOURCE_DIR) + "/systemd/sensorgate.service");
  const std::string installed = "ExecStart=/usr/bin/sensorgate ";
  const auto at = unit.find(installed);
  REQUIRE(at != std::string::npos);
  unit.replace(at, installed.size(),
               "ExecStart=" + std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate ");
  const auto path = dir / "sensorgate.service";
  write_file(path, unit);
  return path;
}

}  // namespace

TEST_CASE("systemd-analyze verify finds nothing to complain about in the unit") {
  TempDir dir;
  const auto unit = unit_for_this_build(dir);
  const auto outcome = run(dir, {"systemd-analyze", "verify", "--man=no", unit.string()});
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.empty());
}

TEST_CASE("the unit's exposure under systemd-analyze security is at most 2.0") {
  TempDir dir;
  const auto unit = unit_for_this_build(dir);
  const auto outcome =
      run(dir, {"systemd-analyze", "security", "--offline=yes", "--threshold=20", unit.string()});
  INFO(outcome.output);
  std::smatch match;
  const std::regex overall(R"(Overall exposure level for sensorgate\.service: ([0-9.]+))");
  REQUIRE(std::regex_search(outcome.output, match, overall));
  const double exposure = std::stod(match[1]);
  WARN("systemd-analyze security --offline=yes: exposure " << match[1]);
  CHECK(exposure <= 2.0);
  CHECK(outcome.exit_code == 0);  // --threshold=20: the tool's own verdict on 2.0
}

}  // namespace sensorgate::testing
