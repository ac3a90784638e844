// Renders stored alerts for `sensorgate alerts`: an aligned table for people, or a JSON array of
// alert events (DESIGN.md "Alert events") for scripts. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "buffer/buffer.hpp"

namespace sensorgate::cli {

std::string render_alerts_table(const std::vector<buffer::AlertRow>& alerts);

std::string render_alerts_json(const std::vector<buffer::AlertRow>& alerts);

}  // namespace sensorgate::cli
