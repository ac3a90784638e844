// The alert dispatcher's losses: each lost event is counted with its reason and recorded in the
// buffer's dropped_by_reason, where `sensorgate backlog` shows it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "gateway/daemon/alert_dispatcher.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::gateway {
namespace {

using testing::TempDir;

std::unique_ptr<buffer::Buffer> open_buffer(const buffer::Options& options) {
  auto opened = buffer::Buffer::open(options);
  REQUIRE(opened.ok());
  return std::move(opened.value());
}

buffer::Options options_in(const TempDir& dir) {
  buffer::Options options;
  options.path = dir / "buffer.db";
  options.commit_interval = std::chrono::milliseconds(2);
  return options;
}

rules::AlertEvent event(int n, std::string message = "temp above 80") {
  rules::AlertEvent alert;
  alert.rule = "too-hot";
  alert.device = "boiler-" + std::to_string(n);
  alert.metric = "temp";
  alert.severity = "critical";
  alert.value = 90;
  alert.threshold = 80;
  alert.ts_ns = 1'700'000'000'000'000'000;
  alert.raised_at_ns = alert.ts_ns;
  alert.message = std::move(message);
  return alert;
}

std::uint64_t dropped(buffer::Buffer& buffer, const std::string& reason) {
  const auto stats = buffer.stats();
  REQUIRE(stats.ok());
  const auto found = stats->dropped_by_reason.find(reason);
  return found == stats->dropped_by_reason.end() ? 0 : found->second;
}

TEST_CASE("alert events beyond a full queue are counted and recorded as alert_queue_full") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  AlertDispatcher dispatcher(*buffer, "sensors.alerts", nullptr, /*max_queued=*/2);
  std::vector<rules::AlertEvent> burst;
  for (int n = 0; n < 10; ++n) burst.push_back(event(n));
  dispatcher.dispatch(std::move(burst));  // queued under one lock: 2 fit, 8 find it full
  dispatcher.stop();
  CHECK(dispatcher.losses().queue_full == 8);
  CHECK(dropped(*buffer, "alert_queue_full") == 8);
  const auto firing = buffer->firing_alerts();
  REQUIRE(firing.ok());
  CHECK(firing->size() == 2);
}

TEST_CASE("alert events raised after stop are counted and recorded as alert_after_stop") {
  TempDir dir;
  auto buffer = open_buffer(options_in(dir));
  AlertDispatcher dispatcher(*buffer, "sensors.alerts", nullptr);
  dispatcher.stop();
  dispatcher.dispatch({event(1), event(2), event(3)});
  CHECK(dispatcher.losses().after_stop == 3);
  CHECK(dropped(*buffer, "alert_after_stop") == 3);
}

TEST_CASE("an alert the buffer cannot store is counted and recorded as alert_store_failed") {
  TempDir dir;
  auto options = options_in(dir);
  options.max_page_count = 40;  // the disk is full for a large alert; a drop count still fits
  auto buffer = open_buffer(options);
  AlertDispatcher dispatcher(*buffer, "sensors.alerts", nullptr);
  dispatcher.dispatch({event(1, std::string(300'000, 'm'))});
  dispatcher.stop();
  CHECK(dispatcher.losses().store_failed == 1);
  CHECK(dropped(*buffer, "alert_store_failed") == 1);
  CHECK(buffer->stats()->dropped_total == 1);
}

}  // namespace
}  // namespace sensorgate::gateway
