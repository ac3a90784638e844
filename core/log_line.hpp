// How a log line looks where it goes. Under systemd, stderr is a stream to journald, which keeps
// its own time: a line starts with an sd-daemon priority prefix (<3> error, <4> warning, <6>
// info, <7> debug), so `journalctl -p warning -u sensorgate` filters by level. On a terminal or
// in a file a line starts with its RFC 3339 UTC time. Pure functions; used by core/log.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace sensorgate {

enum class LogStyle {
  kJournal,   // "<6>info gateway: message"
  kTerminal,  // "2026-12-01T07:32:10.123456Z info gateway: message"
};

// kJournal when `journal_stream` (the value of $JOURNAL_STREAM, "device:inode", or null) names
// the file that `fd` is open on, as systemd sets it for a service whose output goes to the
// journal; kTerminal otherwise, also when a child inherited the variable but writes elsewhere.
LogStyle detect_log_style(const char* journal_stream, int fd);

// One line, with its newline. `now_ns` (ns since the Unix epoch) is used by kTerminal only.
std::string format_log_line(LogStyle style, LogLevel level, std::string_view component,
                            std::string_view message, std::int64_t now_ns);

}  // namespace sensorgate
