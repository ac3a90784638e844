// The sensorgate binary's check, backlog and version commands, run as a process the way an
// operator runs them: exit codes, what is printed, and that the buffer is read safely.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "buffer/buffer.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

const std::string kBinary = std::string(SENSORGATE_BINARY_DIR) + "/gateway/sensorgate";

struct Run {
  int exit_code;
  std::string out;
  std::string err;
};

Run run_sensorgate(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  SubprocessOptions options;
  options.stderr_file = dir / "stderr.txt";
  Subprocess process(args, options);
  std::string out;
  for (int i = 0; i < 100'000; ++i) {
    const auto line = process.read_line(std::chrono::seconds(20));
    if (!line) break;
    out += *line + "\n";
  }
  const auto status = process.wait(std::chrono::seconds(20));
  REQUIRE(status);
  return Run{exit_code_of(*status), out, read_file(dir / "stderr.txt")};
}

std::filesystem::path write_config(const TempDir& dir, const std::string& extra = "") {
  const auto path = dir / "sensorgate.yaml";
  write_file(path, "gateway: {id: edge-test, data_dir: " + (dir / "state").string() +
                       "}\nkafka: {brokers: '127.0.0.1:9092'}\n" + extra);
  return path;
}

void fill_buffer(const TempDir& dir) {
  buffer::Options options;
  options.path = dir / "state" / "buffer.db";
  auto opened = buffer::Buffer::open(options);
  REQUIRE(opened.ok());
  std::vector<buffer::Record> records;
  for (int i = 0; i < 30; ++i) {
    records.push_back(buffer::Record{i < 20 ? "sensors.climate" : "sensors.boilers",
                                     i < 20 ? "hall-" + std::to_string(i % 2) : "boiler-1",
                                     1'700'000'000'000'000'000 + i, std::string(100, 'x')});
  }
  REQUIRE(opened.value()->append(records).ok());
}

TEST_CASE("check accepts a valid config, prints the summary with defaults and exits 0") {
  TempDir dir;
  const auto config = write_config(dir);
  const auto run = run_sensorgate(dir, {"check", "--config", config.string()});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith(config.string() + ": OK\n"));
  CHECK_THAT(run.out, Catch::Contains("edge-test"));
  CHECK_THAT(run.out, Catch::Contains("1GiB"));  // buffer.max_bytes default
  CHECK_THAT(run.out, Catch::Contains("10ms"));  // buffer.commit_interval default
}

TEST_CASE("check rejects a bad config with file:line:column and exits 2") {
  TempDir dir;
  const auto config = write_config(dir, "buffer: {on_full: drop_newest}\n");
  const auto run = run_sensorgate(dir, {"check", "--config", config.string()});
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Catch::StartsWith(config.string() + ":3:19: error: buffer.on_full: "));
  CHECK_THAT(run.err, Catch::EndsWith(config.string() + ": 1 error, nothing started\n"));
}

TEST_CASE("check on a missing file exits 2 and names the file") {
  TempDir dir;
  const auto run = run_sensorgate(dir, {"check", "--config", (dir / "nope.yaml").string()});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains((dir / "nope.yaml").string()));
}

TEST_CASE("usage errors exit 2 and --help exits 0") {
  TempDir dir;
  CHECK(run_sensorgate(dir, {"backlog"}).exit_code == 2);  // --config is required
  CHECK(run_sensorgate(dir, {"frobnicate"}).exit_code == 2);
  CHECK(run_sensorgate(dir, {"backlog", "--config", "x", "--by", "colour"}).exit_code == 2);
  const auto help = run_sensorgate(dir, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("backlog"));
}

TEST_CASE("version prints the version and exits 0") {
  TempDir dir;
  const auto run = run_sensorgate(dir, {"version"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("sensorgate 0."));
  CHECK_THAT(run.out, Catch::Contains("SQLite 3."));
}

TEST_CASE("backlog prints an aligned table with human sizes, per device on request") {
  TempDir dir;
  const auto config = write_config(dir);
  fill_buffer(dir);
  const auto run = run_sensorgate(dir, {"backlog", "--config", config.string(), "--by", "device"});
  CHECK(run.exit_code == 0);
  INFO(run.out);
  CHECK_THAT(run.out, Catch::StartsWith("pending        30\n"));
  CHECK_THAT(run.out, Catch::Contains("DEVICE    PENDING    BYTES\n"));
  CHECK_THAT(run.out, Catch::Contains("boiler-1       10  1.2 KiB\n"));
  CHECK_THAT(run.out, Catch::Contains("hall-0         10  1.2 KiB\n"));
}

TEST_CASE("backlog --json gives the stable keys scripts rely on") {
  TempDir dir;
  const auto config = write_config(dir);
  fill_buffer(dir);
  const auto run =
      run_sensorgate(dir, {"backlog", "--config", config.string(), "--json", "--by", "topic"});
  REQUIRE(run.exit_code == 0);
  const auto json = nlohmann::json::parse(run.out);
  CHECK(json["pending"] == 30);
  CHECK(json["pending_bytes"] == 20 * (15 + 6 + 100) + 10 * (15 + 8 + 100));
  CHECK(json["oldest_ts"] == "2023-11-14T22:13:20.000Z");
  CHECK(json["newest_ts"] == "2023-11-14T22:13:20.000000029Z");
  CHECK(json["oldest_age_s"].get<std::int64_t>() > 0);
  CHECK(json["delivered_total"] == 0);
  CHECK(json["dropped_total"] == 0);
  CHECK(json["dead_letter_total"] == 0);
  CHECK(json["db_bytes"].get<std::int64_t>() > 0);
  REQUIRE(json["by_topic"].size() == 2);
  CHECK(json["by_topic"][0]["name"] == "sensors.boilers");
  CHECK(json["by_topic"][0]["pending"] == 10);
}

TEST_CASE("backlog without a buffer file yet exits 1 and says why") {
  TempDir dir;
  const auto config = write_config(dir);
  const auto run = run_sensorgate(dir, {"backlog", "--config", config.string()});
  CHECK(run.exit_code == 1);
  CHECK(run.err == "sensorgate backlog: no buffer file at " +
                       (dir / "state" / "buffer.db").string() +
                       " (has the gateway run with this config yet?)\n");
}

TEST_CASE("backlog reads the buffer while another process has it open for writing") {
  TempDir dir;
  const auto config = write_config(dir);
  fill_buffer(dir);
  buffer::Options options;
  options.path = dir / "state" / "buffer.db";
  auto writer = buffer::Buffer::open(options);
  REQUIRE(writer.ok());
  const auto run = run_sensorgate(dir, {"backlog", "--config", config.string(), "--json"});
  CHECK(run.exit_code == 0);
  CHECK(nlohmann::json::parse(run.out)["pending"] == 30);
}

}  // namespace
}  // namespace sensorgate::testing

namespace sensorgate::testing {
namespace {

TEST_CASE("alerts lists stored alerts, firing first, as a table or JSON") {
  TempDir dir;
  const auto config = write_config(dir);
  {
    buffer::Options options;
    options.path = dir / "state" / "buffer.db";
    auto opened = buffer::Buffer::open(options);
    REQUIRE(opened.ok());
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const buffer::Record record{"sensors.alerts", "boiler-1", now, "{}"};
    REQUIRE(opened.value()
                ->append_alert(
                    {now - 2'000'000'000, "overpressure", "boiler-1", "pressure", "critical",
                     "resolved", 7.9, 8.0, "pressure of boiler-1 is 7.9", now - 2'000'000'000},
                    record)
                .ok());
    REQUIRE(opened.value()
                ->append_alert(
                    {now - 1'000'000'000, "overpressure", "boiler-2", "pressure", "critical",
                     "firing", 8.7, 8.5, "pressure of boiler-2 is 8.7 > 8.5", now - 1'000'000'000},
                    record)
                .ok());
    REQUIRE(opened.value()
                ->append_alert(
                    {now - 3 * 3600 * 1'000'000'000LL, "overpressure", "boiler-3", "pressure",
                     "critical", "firing", 9, 8.5, "old", now - 3 * 3600 * 1'000'000'000LL},
                    record)
                .ok());
  }
  const auto table = run_sensorgate(dir, {"alerts", "--config", config.string(), "--since", "1h"});
  CHECK(table.exit_code == 0);
  INFO(table.out);
  CHECK_THAT(table.out, Catch::StartsWith("STATE     SEVERITY  RAISED"));
  CHECK(table.out.find("boiler-2") < table.out.find("boiler-1"));
  // Raised 3 h ago, outside --since, but still firing: always listed, with those that fire.
  CHECK(table.out.find("boiler-3") < table.out.find("boiler-1"));

  const auto json = run_sensorgate(dir, {"alerts", "--config", config.string(), "--json"});
  REQUIRE(json.exit_code == 0);
  const auto events = nlohmann::json::parse(json.out);
  REQUIRE(events.size() == 3);
  CHECK(events[0]["state"] == "firing");
  CHECK(events[0]["device"] == "boiler-2");
  CHECK(events[1]["device"] == "boiler-3");
  CHECK(events[0]["value"] == 8.7);
  CHECK(events[0]["threshold"] == 8.5);
  CHECK(events[2]["state"] == "resolved");

  CHECK(run_sensorgate(dir, {"alerts", "--config", config.string(), "--since", "yesterday"})
            .exit_code == 2);
}

}  // namespace
}  // namespace sensorgate::testing
