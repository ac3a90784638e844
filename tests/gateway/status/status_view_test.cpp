// `sensorgate status`'s summary of the /status JSON.
#include <catch2/catch.hpp>

#include "gateway/cli/status_view.hpp"

namespace sensorgate::cli {

TEST_CASE("the status summary shows health, adapters, Kafka, the backlog and firing alerts") {
  const auto status = nlohmann::json::parse(R"({
    "gateway": "edge-01", "version": "0.1.0", "uptime_s": 3725, "healthy": true, "health": "ok",
    "adapters": [{"name": "plant-mqtt", "type": "mqtt", "up": true, "detail": "connected",
                  "messages": 12, "readings": 10, "rejected": {"bad_json": 2},
                  "rejected_recent": {}, "readings_per_s": 2.5}],
    "kafka": {"up": false, "brokers": "k:9092", "down_since": "2026-12-01T10:00:00Z",
              "delivered_total": 7, "errors_total": 1, "in_flight": 0},
    "backlog": {"pending": 1234, "pending_bytes": 2097152, "oldest_age_s": 300,
                "dropped_total": 0, "db_bytes": 4194304},
    "alerts": {"firing": [{"rule": "hot", "device": "hall-1", "metric": "temp",
                           "severity": "critical", "raised_at": "2026-12-01T10:01:00Z",
                           "message": "temp of hall-1 is 35 > 30"}], "recent": []}})");
  const std::string text = render_status_summary(status);
  INFO(text);
  CHECK(text.rfind("gateway edge-01 (sensorgate 0.1.0), up 1h02m: healthy\n", 0) == 0);
  CHECK(text.find("plant-mqtt  mqtt  up     2.5/s        10  bad_json 2  connected") !=
        std::string::npos);
  CHECK(text.find("kafka    DOWN since 2026-12-01T10:00:00Z (k:9092); 7 delivered, 1 errors, "
                  "0 in flight\n") != std::string::npos);
  CHECK(text.find("backlog  1234 pending (2.0 MiB), oldest 5m00s old; 0 dropped; database "
                  "4.0 MiB\n") != std::string::npos);
  CHECK(text.find(
            "hot   hall-1  temp    critical  2026-12-01T10:01:00Z  temp of hall-1 is 35 > 30") !=
        std::string::npos);
}

TEST_CASE("an unhealthy gateway says why on the first line") {
  const auto status = nlohmann::json::parse(
      R"({"gateway": "g", "version": "v", "uptime_s": 5, "healthy": false,
          "health": "every adapter is down: a", "adapters": [], "kafka": {"up": true},
          "backlog": null, "backlog_error": "no buffer", "alerts": {"firing": []}})");
  const std::string text = render_status_summary(status);
  CHECK(text.rfind("gateway g (sensorgate v), up 5s: unhealthy: every adapter is down: a\n", 0) ==
        0);
  CHECK(text.find("backlog  unknown: no buffer\n") != std::string::npos);
  CHECK(text.find("alerts   none firing\n") != std::string::npos);
}

}  // namespace sensorgate::cli
