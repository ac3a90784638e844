// WatchedBuffer on a real buffer file: it passes every call through and remembers how the last
// commit went and which alerts were stored.
#include <catch2/catch.hpp>

#include "gateway/status/watched_buffer.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::status {
namespace {

using sensorgate::testing::TempDir;

std::unique_ptr<buffer::Buffer> open_at(const TempDir& dir, Bytes max_bytes = 1_GiB) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.max_bytes = max_bytes;
  options.on_full = buffer::OnFull::kReject;
  options.reserve_bytes = Bytes{0};
  auto opened = buffer::Buffer::open(options);
  INFO((opened.ok() ? std::string() : opened.error().message));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

buffer::Record record(int n) {
  return {"sensors.readings", "dev-" + std::to_string(n % 3), 1'700'000'000'000'000'000 + n,
          "{\"n\":" + std::to_string(n) + ",\"pad\":\"" + std::string(200, 'x') + "\"}"};
}

buffer::AlertRow alert(const std::string& rule, const std::string& device,
                       const std::string& state) {
  buffer::AlertRow row;
  row.ts_ns = 1'700'000'000'000'000'000;
  row.raised_at_ns = row.ts_ns;
  row.rule = rule;
  row.device = device;
  row.metric = "temp";
  row.severity = "critical";
  row.state = state;
  return row;
}

}  // namespace

TEST_CASE("appends pass through and leave the commit state ok") {
  TempDir dir;
  auto inner = open_at(dir);
  WatchedBuffer watched(*inner);
  CHECK(watched.commit_state().outcome == CommitState::Outcome::kNone);
  const std::vector<buffer::Record> records{record(1), record(2)};
  REQUIRE(watched.append(records).ok());
  CHECK(watched.commit_state().outcome == CommitState::Outcome::kOk);
  const auto stats = inner->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 2);
  inner->close();
}

TEST_CASE("a refusal at the cap is remembered as full with the buffer's words") {
  TempDir dir;
  auto inner = open_at(dir, Bytes{2048});
  WatchedBuffer watched(*inner);
  bool refused = false;
  for (int n = 0; n < 100 && !refused; ++n) {
    const std::vector<buffer::Record> one{record(n)};
    refused = !watched.append(one).ok();
  }
  REQUIRE(refused);
  const CommitState state = watched.commit_state();
  CHECK(state.outcome == CommitState::Outcome::kFull);
  CHECK_FALSE(state.message.empty());
  inner->close();
}

TEST_CASE("stored alerts are counted, kept as firing until resolved, and listed newest first") {
  TempDir dir;
  auto inner = open_at(dir);
  {
    WatchedBuffer first(*inner);
    REQUIRE(first.append_alert(alert("hot", "b", "firing"), record(1)).ok());
    REQUIRE(first.append_alert(alert("hot", "a", "firing"), record(2)).ok());
    const AlertActivity activity = first.alert_activity();
    CHECK(activity.raised.at({"hot", "critical"}) == 2);
    REQUIRE(activity.firing.size() == 2);
    CHECK(activity.firing[0].device == "a");
    CHECK(activity.firing[1].device == "b");
    REQUIRE(activity.recent.size() == 2);
    CHECK(activity.recent[0].device == "a");
  }
  // A new gateway starts from what the alerts table says fires.
  WatchedBuffer restarted(*inner);
  CHECK(restarted.alert_activity().firing.size() == 2);
  CHECK(restarted.alert_activity().raised.empty());
  REQUIRE(restarted.append_alert(alert("hot", "a", "resolved"), record(3)).ok());
  const AlertActivity activity = restarted.alert_activity();
  REQUIRE(activity.firing.size() == 1);
  CHECK(activity.firing[0].device == "b");
  CHECK(activity.recent.front().state == "resolved");
  inner->close();
}

}  // namespace sensorgate::status
