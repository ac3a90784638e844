// The status page served at GET /: one self-contained HTML document (page.html beside this
// file, embedded at build time by embed_file.cmake) that polls /status every 2 s.
#pragma once

#include <string_view>

namespace sensorgate::status {

std::string_view status_page();

}  // namespace sensorgate::status
