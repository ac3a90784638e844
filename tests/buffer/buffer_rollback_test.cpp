// A transaction that cannot be rolled back makes the writer fail closed.
//
// How ROLLBACK is made to fail for real: SQLite asks a connection's authorizer
// (sqlite3_set_authorizer) about every statement it prepares, COMMIT and ROLLBACK included
// (action SQLITE_TRANSACTION, arg1 "COMMIT" / "ROLLBACK"); a denied statement fails to prepare
// with SQLITE_AUTH and does not run, so a denied ROLLBACK leaves the connection inside its
// transaction, as any other failing ROLLBACK would. The buffer's connections are private, so
// the test reaches them with sqlite3_auto_extension, which SQLite calls for every connection
// opened in the process afterwards: it installs the authorizer below on each. Denying COMMIT
// makes the transaction fail in the first place (a disk-full commit would do the same, with
// more set-up). Nothing of the buffer is changed for the test: it sees SQLite errors only.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

std::atomic<bool> deny_commit{false};
std::atomic<bool> deny_rollback{false};

int authorize(void*, int action, const char* operation, const char*, const char*, const char*) {
  if (action != SQLITE_TRANSACTION || operation == nullptr) return SQLITE_OK;
  if (deny_commit && std::strcmp(operation, "COMMIT") == 0) return SQLITE_DENY;
  if (deny_rollback && std::strcmp(operation, "ROLLBACK") == 0) return SQLITE_DENY;
  return SQLITE_OK;
}

int install_authorizer(sqlite3* db, char**, const sqlite3_api_routines*) {
  sqlite3_set_authorizer(db, authorize, nullptr);
  return SQLITE_OK;
}

using EntryPoint = void (*)();

// Installs the authorizer on every connection opened while it lives; denies nothing until asked.
class DeniedStatements {
 public:
  DeniedStatements() {
    deny_commit = false;
    deny_rollback = false;
    REQUIRE(sqlite3_auto_extension(reinterpret_cast<EntryPoint>(install_authorizer)) == SQLITE_OK);
  }
  ~DeniedStatements() {
    deny_commit = false;
    deny_rollback = false;
    sqlite3_cancel_auto_extension(reinterpret_cast<EntryPoint>(install_authorizer));
  }
  DeniedStatements(const DeniedStatements&) = delete;
  DeniedStatements& operator=(const DeniedStatements&) = delete;
};

constexpr const char* kFailedClosed = "could not be rolled back";

TEST_CASE("a ROLLBACK that fails stops the writer: waiting and later writes fail with the reason") {
  TempDir dir;
  DeniedStatements denied;
  auto buffer = open_buffer(options_in(dir));
  REQUIRE(buffer->append(make_records("d", 0, 3)).ok());

  deny_commit = true;
  deny_rollback = true;
  // Several appends wait at once: the group that fails and those queued behind it.
  std::vector<std::future<Result<buffer::SeqRange, buffer::BufferError>>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::async(std::launch::async, [&buffer, i] {
      return buffer->append(make_records("d", 100 + i * 10, 10));
    }));
  }
  for (auto& append : waiting) {
    REQUIRE(append.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const auto result = append.get();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == buffer::BufferError::kIo);
  }
  deny_commit = false;
  deny_rollback = false;

  // SQLite would take writes again now; the writer does not.
  const auto later = buffer->append(make_records("d", 200, 1));
  REQUIRE_FALSE(later.ok());
  CHECK(later.error().code == buffer::BufferError::kIo);
  CHECK_THAT(later.error().message, Catch::Contains(kFailedClosed) &&
                                        Catch::Contains("not authorized") &&
                                        Catch::Contains("buffer.db"));
  const auto dropped = buffer->record_dropped(1, buffer::DropReason::kCap);
  REQUIRE_FALSE(dropped.ok());
  CHECK_THAT(dropped.error().message, Catch::Contains(kFailedClosed));
  const auto synced = buffer->sync();
  REQUIRE_FALSE(synced.ok());
  CHECK_THAT(synced.error().message, Catch::Contains(kFailedClosed));
  const std::int64_t seq = 1;
  CHECK_FALSE(buffer->mark_delivered(std::span<const std::int64_t>(&seq, 1)).ok());

  // The writer stops vouching for itself, so the watchdog sees it (an idle writer beats at least
  // every kMaxIdle).
  CHECK(wait_until([&] { return buffer->writer_heartbeat().age() > 2 * Heartbeat::kMaxIdle; },
                   std::chrono::seconds(10)));
  buffer->close();

  // A restart opens the file as it was before the failed transaction.
  buffer.reset();
  auto reopened = open_buffer(options_in(dir));
  const auto left = read_all(*reopened);
  REQUIRE(left.size() == 3);
  CHECK(left.back().record.value == make_record("d", 2).value);
  CHECK(reopened->append(make_records("d", 300, 2)).ok());
}

TEST_CASE("a failed commit that rolls back leaves the writer taking work") {
  TempDir dir;
  DeniedStatements denied;
  auto buffer = open_buffer(options_in(dir));

  deny_commit = true;
  const auto failed = buffer->append(make_records("d", 0, 5));
  deny_commit = false;
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message,
             Catch::Contains("not authorized") && !Catch::Contains(kFailedClosed));

  REQUIRE(buffer->append(make_records("d", 10, 2)).ok());
  REQUIRE(buffer->sync().ok());
  const auto left = read_all(*buffer);
  REQUIRE(left.size() == 2);
  CHECK(left.front().record.value == make_record("d", 10).value);
}

}  // namespace
}  // namespace sensorgate::testing
