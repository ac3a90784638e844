// Renders the daemon's /status JSON (gateway/status/status_json.hpp) for `sensorgate status`:
// one screen with the gateway's health, each adapter's state and rate, Kafka, the backlog in
// human sizes and ages, and the firing alerts. Pure function; fields missing from the JSON
// show as "?".
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sensorgate::cli {

std::string render_status_summary(const nlohmann::json& status);

}  // namespace sensorgate::cli
