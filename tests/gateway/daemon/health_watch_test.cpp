// The gateway's own alerts, judged on samples against a manual clock.
#include <catch2/catch.hpp>

#include "core/clock.hpp"
#include "gateway/daemon/health_watch.hpp"

namespace sensorgate::gateway {
namespace {

using namespace std::chrono_literals;

HealthSample healthy() {
  HealthSample sample;
  sample.max_bytes = 1000;
  sample.adapters_up = {{"plant-mqtt", true}};
  return sample;
}

TEST_CASE("buffer_full fires once on new drops and resolves below 90% of the cap") {
  ManualClock clock(1'000'000'000'000);
  HealthWatch watch("edge-01", 2min, 30s, clock);
  auto sample = healthy();
  CHECK(watch.check(sample).empty());
  sample.dropped_total = 10;
  sample.pending_bytes = 995;
  auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "buffer_full");
  CHECK(events[0].device == "edge-01");
  CHECK(events[0].state == rules::AlertState::kFiring);
  CHECK(events[0].severity == "critical");
  sample.dropped_total = 20;  // still dropping: no second event
  CHECK(watch.check(sample).empty());
  sample.pending_bytes = 950;  // no new drops, but above 90%
  CHECK(watch.check(sample).empty());
  sample.pending_bytes = 800;
  events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == rules::AlertState::kResolved);
}

TEST_CASE("buffer_full counts refused appends too, and not the totals seen at start") {
  ManualClock clock;
  HealthWatch watch("edge-01", 2min, 30s, clock);
  auto sample = healthy();
  sample.dropped_total = 500;  // from before this start
  CHECK(watch.check(sample).empty());
  sample.refused_total = 1;
  const auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "buffer_full");
}

TEST_CASE("kafka_unreachable fires after the configured time and resolves when Kafka answers") {
  ManualClock clock(10'000'000'000'000);
  HealthWatch watch("edge-01", 2min, 30s, clock);
  auto sample = healthy();
  sample.kafka_up = false;
  sample.kafka_down_since_ns = clock.now_ns();
  clock.advance(119s);
  CHECK(watch.check(sample).empty());
  clock.advance(1s);
  auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "kafka_unreachable");
  CHECK(events[0].value == 120);
  CHECK(events[0].message == "Kafka unreachable for 2m; readings wait in the buffer");
  clock.advance(60s);
  CHECK(watch.check(sample).empty());
  sample.kafka_up = true;
  sample.kafka_down_since_ns = 0;
  events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == rules::AlertState::kResolved);
}

TEST_CASE("adapter_down fires per adapter after it stayed down, and resolves when it is up") {
  ManualClock clock(1'000'000'000);
  HealthWatch watch("edge-01", 2min, 30s, clock);
  auto sample = healthy();
  sample.adapters_up = {{"plant-mqtt", false}, {"lines", true}};
  CHECK(watch.check(sample).empty());
  clock.advance(29s);
  CHECK(watch.check(sample).empty());
  clock.advance(1s);
  auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "adapter_down");
  CHECK(events[0].metric == "plant-mqtt");
  sample.adapters_up["plant-mqtt"] = true;
  events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == rules::AlertState::kResolved);
  CHECK(events[0].metric == "plant-mqtt");
}

TEST_CASE("restored firing state is neither fired again nor forgotten") {
  ManualClock clock(1'000'000'000'000);
  HealthWatch watch("edge-01", 1min, 30s, clock);
  watch.restore_firing({{"kafka_unreachable", "edge-01", "kafka"}, {"hall-hot", "hall-1", "temp"}});
  auto sample = healthy();
  sample.kafka_up = false;
  sample.kafka_down_since_ns = clock.now_ns() - 300'000'000'000;
  CHECK(watch.check(sample).empty());
  sample.kafka_up = true;
  const auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "kafka_unreachable");
  CHECK(events[0].state == rules::AlertState::kResolved);
}

TEST_CASE("buffer_corrupt fires per quarantined file and resolves once the file is gone") {
  ManualClock clock;
  HealthWatch watch("edge-01", 2min, 30s, clock);
  auto sample = healthy();
  buffer::QuarantineNote note;
  note.database = "/var/lib/sensorgate/buffer.db.quarantined-20261201T080000Z";
  note.reason = "damaged";
  note.rows = 2763;
  note.detail = "quick_check: page 12 is never used";
  sample.quarantined = {note};
  auto events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].rule == "buffer_corrupt");
  CHECK(events[0].metric == "buffer.db.quarantined-20261201T080000Z");
  CHECK(events[0].severity == "critical");
  CHECK(events[0].state == rules::AlertState::kFiring);
  CHECK(events[0].value == 2763);
  CHECK(events[0].message ==
        "buffer file moved aside: /var/lib/sensorgate/buffer.db.quarantined-20261201T080000Z "
        "(damaged, 2763 pending rows): quick_check: page 12 is never used. A fresh buffer takes "
        "new readings; the rows of the old file are not sent (see "
        "/var/lib/sensorgate/buffer.db.quarantined-20261201T080000Z.note)");
  CHECK(watch.check(sample).empty());  // still there: no second event

  // A restarted gateway that restored the firing state does not fire again.
  HealthWatch restarted("edge-01", 2min, 30s, clock);
  restarted.restore_firing(
      {{"buffer_corrupt", "edge-01", "buffer.db.quarantined-20261201T080000Z"}});
  CHECK(restarted.check(sample).empty());

  sample.quarantined.clear();  // the operator took the file away
  events = watch.check(sample);
  REQUIRE(events.size() == 1);
  CHECK(events[0].state == rules::AlertState::kResolved);
}

}  // namespace
}  // namespace sensorgate::gateway
