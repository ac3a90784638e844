// Rendering of backlog statistics: the human table and the JSON for scripts.
#include <catch2/catch.hpp>

#include "gateway/cli/backlog_view.hpp"

namespace sensorgate::cli {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

buffer::BacklogStats sample() {
  buffer::BacklogStats stats;
  stats.pending = 1200;
  stats.pending_bytes = 12'900'000;
  stats.oldest_ts_ns = 1'700'000'000 * kSecond;
  stats.newest_ts_ns = 1'700'011'520 * kSecond;
  stats.delivered_total = 5;
  stats.dropped_total = 2;
  stats.dropped_by_reason = {{"cap", 1}, {"commit_failed", 1}};
  stats.dead_letter_total = 1;
  stats.db_bytes = 20 << 20;
  stats.by_device = {{"boiler-1", 1000, 12'000'000}, {"hall-10", 200, 900'000}};
  return stats;
}

TEST_CASE("the backlog table shows human sizes and the age of the oldest reading") {
  const auto text =
      render_backlog_table(sample(), BacklogGrouping::kDevice, (1'700'000'000 + 11'520) * kSecond);
  CHECK(text ==
        "pending        1200\n"
        "pending bytes  12.3 MiB\n"
        "oldest         2023-11-14T22:13:20.000Z (3h12m ago)\n"
        "newest         2023-11-15T01:25:20.000Z\n"
        "delivered      5\n"
        "dropped        2 (cap 1, commit_failed 1)\n"
        "dead-lettered  1\n"
        "database       20.0 MiB\n"
        "\n"
        "DEVICE    PENDING      BYTES\n"
        "boiler-1     1000   11.4 MiB\n"
        "hall-10       200  878.9 KiB\n");
}

TEST_CASE("an empty backlog shows dashes for times and null in JSON") {
  buffer::BacklogStats empty;
  const auto text = render_backlog_table(empty, BacklogGrouping::kTopic, 0);
  CHECK_THAT(text, Catch::Contains("oldest         -\n"));
  CHECK_THAT(text, Catch::EndsWith("nothing pending\n"));
  CHECK(render_backlog_json(empty, BacklogGrouping::kNone, 0) ==
        "{\"pending\":0,\"pending_bytes\":0,\"oldest_ts\":null,\"oldest_age_s\":0,"
        "\"newest_ts\":null,\"delivered_total\":0,\"dropped_total\":0,\"dropped_by_reason\":{},"
        "\"dead_letter_total\":0,"
        "\"db_bytes\":0}\n");
}

TEST_CASE("the backlog JSON keeps its keys in a stable order") {
  const auto json =
      render_backlog_json(sample(), BacklogGrouping::kDevice, (1'700'000'000 + 11'520) * kSecond);
  CHECK(json ==
        "{\"pending\":1200,\"pending_bytes\":12900000,"
        "\"oldest_ts\":\"2023-11-14T22:13:20.000Z\",\"oldest_age_s\":11520,"
        "\"newest_ts\":\"2023-11-15T01:25:20.000Z\",\"delivered_total\":5,"
        "\"dropped_total\":2,\"dropped_by_reason\":{\"cap\":1,\"commit_failed\":1},"
        "\"dead_letter_total\":1,\"db_bytes\":20971520,"
        "\"by_device\":[{\"name\":\"boiler-1\",\"pending\":1000,\"pending_bytes\":12000000},"
        "{\"name\":\"hall-10\",\"pending\":200,\"pending_bytes\":900000}],"
        "\"by_device_behind\":false}\n");
}

TEST_CASE("per-device rows that lag the totals are said to, in the table and the JSON") {
  auto stats = sample();
  stats.by_device_behind = true;
  const std::int64_t now = (1'700'000'000 + 11'520) * kSecond;
  CHECK_THAT(render_backlog_table(stats, BacklogGrouping::kDevice, now),
             Catch::EndsWith("hall-10       200  878.9 KiB\n(per-device rows lag the totals by up "
                             "to a second while the gateway runs; after an unclean stop they are "
                             "counted again when it starts)\n"));
  CHECK_THAT(render_backlog_json(stats, BacklogGrouping::kDevice, now),
             Catch::EndsWith("\"by_device_behind\":true}\n"));
  // Grouped by topic, exact in every transaction, nothing is said.
  CHECK_THAT(render_backlog_table(stats, BacklogGrouping::kTopic, now), !Catch::Contains("lag"));
}

}  // namespace
}  // namespace sensorgate::cli
