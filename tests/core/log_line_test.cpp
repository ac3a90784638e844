#include "core/log_line.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>

#include "support/temp_dir.hpp"

using namespace sensorgate;

namespace {

constexpr std::int64_t kNs = 1'795'000'000'123'456'000;  // 2026-11-18T11:06:40.123456Z

std::string stream_of(int fd) {
  struct stat info {};
  REQUIRE(::fstat(fd, &info) == 0);
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

}  // namespace

TEST_CASE("journal lines carry the syslog priority of their level and no time of their own") {
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kError, "kafka", "broker down", kNs) ==
        "<3>error kafka: broker down\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kWarning, "mqtt[plant]", "bad json", kNs) ==
        "<4>warning mqtt[plant]: bad json\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kInfo, "gateway", "running", kNs) ==
        "<6>info gateway: running\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kDebug, "buffer", "commit", kNs) ==
        "<7>debug buffer: commit\n");
}

TEST_CASE("terminal lines start with their RFC 3339 UTC time") {
  CHECK(format_log_line(LogStyle::kTerminal, LogLevel::kWarning, "gateway", "SIGTERM", kNs) ==
        "2026-11-18T11:06:40.123456Z warning gateway: SIGTERM\n");
}

TEST_CASE("the journal style is chosen only when JOURNAL_STREAM names the file stderr is on") {
  testing::TempDir dir;
  const int log_fd = ::open((dir / "a.log").c_str(), O_WRONLY | O_CREAT, 0600);
  const int other_fd = ::open((dir / "b.log").c_str(), O_WRONLY | O_CREAT, 0600);
  REQUIRE(log_fd >= 0);
  REQUIRE(other_fd >= 0);
  const std::string stream = stream_of(log_fd);
  CHECK(detect_log_style(stream.c_str(), log_fd) == LogStyle::kJournal);
  // Inherited by a process whose stderr goes elsewhere: not the journal.
  CHECK(detect_log_style(stream.c_str(), other_fd) == LogStyle::kTerminal);
  CHECK(detect_log_style(nullptr, log_fd) == LogStyle::kTerminal);
  CHECK(detect_log_style("", log_fd) == LogStyle::kTerminal);
  CHECK(detect_log_style("journal", log_fd) == LogStyle::kTerminal);
  ::close(log_fd);
  ::close(other_fd);
}
