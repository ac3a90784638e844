#include "core/log_line.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>

#include "core/time_format.hpp"

namespace sensorgate {
namespace {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

// syslog priorities (sd-daemon.h SD_ERR ... SD_DEBUG).
char syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return '7';
    case LogLevel::kInfo:
      return '6';
    case LogLevel::kWarning:
      return '4';
    case LogLevel::kError:
      return '3';
  }
  return '6';
}

}  // namespace

LogStyle detect_log_style(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return LogStyle::kTerminal;
  std::uintmax_t device = 0, inode = 0;
  if (std::sscanf(journal_stream, "%ju:%ju", &device, &inode) != 2) return LogStyle::kTerminal;
  struct stat info {};
  if (::fstat(fd, &info) != 0) return LogStyle::kTerminal;
  return static_cast<std::uintmax_t>(info.st_dev) == device &&
                 static_cast<std::uintmax_t>(info.st_ino) == inode
             ? LogStyle::kJournal
             : LogStyle::kTerminal;
}

std::string format_log_line(LogStyle style, LogLevel level, std::string_view component,
                            std::string_view message, std::int64_t now_ns) {
  std::string line;
  line.reserve(48 + component.size() + message.size());
  switch (style) {
    case LogStyle::kJournal:
      line += '<';
      line += syslog_priority(level);
      line += '>';
      break;
    case LogStyle::kTerminal:
      append_rfc3339(line, now_ns);
      line += ' ';
      break;
  }
  line += level_name(level);
  line += ' ';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  return line;
}

}  // namespace sensorgate
