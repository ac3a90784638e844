// The alerts table: stored with their Kafka record, firing state for restarts, history reads.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "version2_file.hpp"

namespace sensorgate::testing {
namespace {

// An event raised at `raised_at_ns` (default: the reading's time) for a reading of `ts_ns`.
buffer::AlertRow alert(std::int64_t ts_ns, const std::string& device, const std::string& state,
                       std::int64_t raised_at_ns = -1) {
  return buffer::AlertRow{ts_ns,
                          "boiler-overpressure",
                          device,
                          "pressure",
                          "critical",
                          state,
                          8.7,
                          8.5,
                          "pressure of " + device + " is 8.7 > 8.5",
                          raised_at_ns < 0 ? ts_ns : raised_at_ns};
}

buffer::Record alert_record(const std::string& device) {
  return buffer::Record{"sensors.alerts", device, 1, "{\"rule\":\"boiler-overpressure\"}"};
}

TEST_CASE("an alert is stored in the alerts table and its record queued for Kafka together") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  const auto range =
      buffer->append_alert(alert(100, "boiler-1", "firing"), alert_record("boiler-1"));
  REQUIRE(range.ok());
  const auto rows = read_all(*buffer);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].seq == range->first);
  CHECK(rows[0].record.topic == "sensors.alerts");
  const auto alerts = buffer::read_alerts(dir / "buffer.db", 0);
  REQUIRE(alerts.ok());
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].rule == "boiler-overpressure");
  CHECK((*alerts)[0].device == "boiler-1");
  CHECK((*alerts)[0].state == "firing");
  CHECK((*alerts)[0].value == 8.7);
  CHECK((*alerts)[0].threshold == 8.5);
  CHECK((*alerts)[0].message == "pressure of boiler-1 is 8.7 > 8.5");
}

TEST_CASE("firing_alerts lists the series whose latest transition is firing, also after reopen") {
  TempDir dir;
  {
    auto buffer = open_buffer(options_in(dir));
    REQUIRE(buffer->append_alert(alert(100, "boiler-1", "firing"), alert_record("boiler-1")).ok());
    REQUIRE(buffer->append_alert(alert(110, "boiler-2", "firing"), alert_record("boiler-2")).ok());
    REQUIRE(
        buffer->append_alert(alert(120, "boiler-1", "resolved"), alert_record("boiler-1")).ok());
    REQUIRE(buffer->append_alert(alert(130, "boiler-3", "firing"), alert_record("boiler-3")).ok());
  }
  auto buffer = open_buffer(options_in(dir));
  const auto firing = buffer->firing_alerts();
  REQUIRE(firing.ok());
  REQUIRE(firing->size() == 2);
  CHECK((*firing)[0].device == "boiler-2");
  CHECK((*firing)[1].device == "boiler-3");
}

TEST_CASE("read_alerts lists what still fires first, then the rest newest first, from a time on") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append_alert(alert(100, "boiler-1", "firing"), alert_record("boiler-1")).ok());
  REQUIRE(buffer->append_alert(alert(150, "boiler-5", "firing"), alert_record("boiler-5")).ok());
  REQUIRE(buffer->append_alert(alert(200, "boiler-2", "resolved"), alert_record("boiler-2")).ok());
  REQUIRE(buffer->append_alert(alert(300, "boiler-3", "firing"), alert_record("boiler-3")).ok());
  REQUIRE(buffer->append_alert(alert(350, "boiler-5", "resolved"), alert_record("boiler-5")).ok());
  REQUIRE(buffer->append_alert(alert(400, "boiler-4", "resolved"), alert_record("boiler-4")).ok());
  const auto all = buffer::read_alerts(dir / "buffer.db", 0);
  REQUIRE(all.ok());
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& row : *all) listed.emplace_back(row.device, row.state);
  // boiler-5 fired and resolved since: its firing event is history, not listed first.
  CHECK(listed == std::vector<std::pair<std::string, std::string>>{{"boiler-3", "firing"},
                                                                   {"boiler-1", "firing"},
                                                                   {"boiler-4", "resolved"},
                                                                   {"boiler-5", "resolved"},
                                                                   {"boiler-2", "resolved"},
                                                                   {"boiler-5", "firing"}});
  // From 250 on: what was raised since, and boiler-1, raised before but still firing.
  const auto recent = buffer::read_alerts(dir / "buffer.db", 250);
  REQUIRE(recent.ok());
  listed.clear();
  for (const auto& row : *recent) listed.emplace_back(row.device, row.state);
  CHECK(listed == std::vector<std::pair<std::string, std::string>>{{"boiler-3", "firing"},
                                                                   {"boiler-1", "firing"},
                                                                   {"boiler-4", "resolved"},
                                                                   {"boiler-5", "resolved"}});
}

TEST_CASE("read_alerts filters on when an alert was raised, not on the reading's old time") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  constexpr std::int64_t kYear = 365LL * 24 * 3600 * 1'000'000'000;
  constexpr std::int64_t kNow = 1'795'000'000'000'000'000;
  // A backfilled reading stamped a year ago raised an alert now, and it resolved a moment later.
  REQUIRE(buffer
              ->append_alert(alert(kNow - kYear, "boiler-1", "firing", kNow - 2),
                             alert_record("boiler-1"))
              .ok());
  REQUIRE(buffer
              ->append_alert(alert(kNow - kYear + 1, "boiler-1", "resolved", kNow - 1),
                             alert_record("boiler-1"))
              .ok());
  const auto last_hour = buffer::read_alerts(dir / "buffer.db", kNow - 3600'000'000'000);
  REQUIRE(last_hour.ok());
  REQUIRE(last_hour->size() == 2);
  CHECK((*last_hour)[0].state == "resolved");
  CHECK((*last_hour)[0].raised_at_ns == kNow - 1);
  CHECK((*last_hour)[0].ts_ns == kNow - kYear + 1);
}

TEST_CASE("a buffer of schema version 1 is upgraded in place: its alerts keep their time") {
  TempDir dir;
  std::vector<Version2Record> records;
  for (std::int64_t seq = 1; seq <= 4; ++seq) {
    records.push_back(Version2Record{seq, "sensors.readings", "d", seq, "{}"});
  }
  make_version2_file(dir / "buffer.db", records, /*last_seq=*/4);
  {
    // Back to what version 1 wrote: alerts without raised_at_ns.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "buffer.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO alerts(ts_ns, rule, device, metric, severity, state, value, "
                         "threshold, message) VALUES(100, 'hot', 'boiler-1', 'temperature', "
                         "'warning', 'firing', 90, 80, 'hot');"
                         "DROP INDEX alerts_by_raised; ALTER TABLE alerts DROP COLUMN raised_at_ns;"
                         " PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  const auto before = buffer::read_alerts(dir / "buffer.db", 0);
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().message == "buffer file " + (dir / "buffer.db").string() +
                                      " has schema version 1, older than this sensorgate (4); "
                                      "start the daemon once (sensorgate run) to upgrade it");
  auto buffer = open_buffer(options_in(dir));
  CHECK(read_all(*buffer).size() == 4);
  const auto after = buffer::read_alerts(dir / "buffer.db", 0);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 1);
  CHECK((*after)[0].raised_at_ns == 100);
}

TEST_CASE("alerts are stored even when the buffer refuses readings at its cap") {
  TempDir dir;
  auto options = options_in(dir);
  options.on_full = buffer::OnFull::kReject;
  options.max_bytes = Bytes{100};  // two of these records fit, four do not
  auto buffer = open_buffer(options);
  REQUIRE(buffer->append(make_records("d", 0, 2)).ok());
  REQUIRE(buffer->append(make_records("d", 2, 2)).error().code == buffer::BufferError::kFull);
  CHECK(buffer->append_alert(alert(1, "gateway", "firing"), alert_record("gateway")).ok());
  CHECK(buffer::read_alerts(dir / "buffer.db", 0)->size() == 1);
}

}  // namespace
}  // namespace sensorgate::testing
