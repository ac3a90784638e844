// Files that cannot be used safely are moved aside, never merged, and a fresh buffer starts: a
// -wal/-shm that belongs to another database, a database damaged in the middle (found by
// quick_check at open), and corruption met at run time (found by SQLite while draining).
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <set>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"
#include "buffer/segment.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

std::string sha256_of(const std::filesystem::path& path) {
  const std::string command = "sha256sum '" + path.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 65> digest{};
  const std::size_t read = std::fread(digest.data(), 1, 64, pipe);
  ::pclose(pipe);
  REQUIRE(read == 64);
  return std::string(digest.data(), 64);
}

// A buffer at `path` holding `rows` pending records, closed cleanly (no WAL left).
void make_buffer(const std::filesystem::path& path, int rows) {
  {
    auto buffer = open_buffer(buffer::Options{.path = path});
    for (int first = 0; first < rows; first += 1000) {
      REQUIRE(buffer->append(make_records("victim", first, std::min(1000, rows - first))).ok());
    }
  }
  REQUIRE_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

// Runs `sql` on `source` with checkpoints off and copies its -wal and -shm, as they are while
// the connection is open, beside `target`: a WAL that belongs to `source`, not to `target`.
void plant_foreign_wal(const std::filesystem::path& source, const std::string& sql,
                       const std::filesystem::path& target) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(source.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(std::filesystem::file_size(source.string() + "-wal") > 0);
  std::filesystem::copy_file(source.string() + "-wal", target.string() + "-wal");
  std::filesystem::copy_file(source.string() + "-shm", target.string() + "-shm");
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_close(db);
}

// The pending records of a database file alone, read without any WAL.
std::vector<std::string> values_in(const std::filesystem::path& database) {
  sqlite3* db = nullptr;
  const std::string uri = "file:" + database.string() + "?immutable=1";
  REQUIRE(sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT data FROM segments ORDER BY first_seq", -1, &select,
                             nullptr) == SQLITE_OK);
  std::vector<std::string> values;
  while (sqlite3_step(select) == SQLITE_ROW) {
    buffer::SegmentReader reader(
        std::string_view(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(select, 0))));
    buffer::SegmentRecord record;
    while (reader.next(record)) values.emplace_back(record.value);
    CHECK_FALSE(reader.failed());
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
  return values;
}

void check_victim_rows(const std::filesystem::path& database, int rows) {
  const auto values = values_in(database);
  REQUIRE(values.size() == static_cast<std::size_t>(rows));
  for (int n = 0; n < rows; ++n) CHECK(values[n] == make_record("victim", n).value);
}

// The quarantined files beside `path`: exactly one set, with its note.
buffer::QuarantineNote only_quarantine(const std::filesystem::path& path) {
  const auto notes = buffer::list_quarantined(path);
  REQUIRE(notes.size() == 1);
  return notes.front();
}

void check_fresh_buffer_works(const std::filesystem::path& path, std::int64_t above_seq) {
  auto buffer = open_buffer(buffer::Options{.path = path});
  const auto stats = buffer->stats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 0);
  const auto appended = buffer->append(make_records("new", 0, 3));
  REQUIRE(appended.ok());
  CHECK(appended->first > above_seq);
  CHECK(read_all(*buffer).size() == 3);
}

TEST_CASE("a -wal and -shm of another SQLite file beside buffer.db are moved aside, never merged") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_buffer(path, 6000);
  const std::string digest = sha256_of(path);
  plant_foreign_wal(dir / "other.db",
                    "CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount REAL);"
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)"
                    " INSERT INTO invoices SELECT i, i * 1.5 FROM n;",
                    path);

  check_fresh_buffer_works(path, 6000);
  const auto note = only_quarantine(path);
  CHECK(note.reason == "wal_mismatch");
  CHECK(note.rows == 6000);
  CHECK(sha256_of(note.database) == digest);
  check_victim_rows(note.database, 6000);
  // The WAL went along under a name SQLite does not pair with the database.
  CHECK(std::filesystem::exists(note.database.string() + ".wal"));
  CHECK(std::filesystem::exists(note.database.string() + ".shm"));
  CHECK_FALSE(std::filesystem::exists(note.database.string() + "-wal"));
}

TEST_CASE("a WAL of another sensorgate buffer (a restored backup) is moved aside, never merged") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  const auto other = dir / "other" / "buffer.db";
  make_buffer(path, 6000);
  make_buffer(other, 3000);
  const std::string digest = sha256_of(path);
  // What the other buffer's writer does: delete delivered rows, add new ones, keep the
  // per-topic counts.
  const std::string recount =
      "UPDATE group_stats SET pending = (SELECT sum(count) FROM segments) "
      "WHERE name_id IN (SELECT id FROM names WHERE kind = 0);";
  plant_foreign_wal(other,
                    "BEGIN; DELETE FROM segments WHERE first_seq <= 2000;" + recount +
                        "INSERT INTO segments(first_seq, count, bytes, data) "
                        "SELECT first_seq + 1000000, count, bytes, data FROM segments;" +
                        recount + "COMMIT;",
                    path);

  check_fresh_buffer_works(path, 6000);
  const auto note = only_quarantine(path);
  CHECK(note.reason == "wal_mismatch");
  CHECK(note.rows == 6000);
  CHECK(sha256_of(note.database) == digest);
  check_victim_rows(note.database, 6000);
}

TEST_CASE("a WAL left by a crash is the database's own and is used, not quarantined") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_buffer(path, 100);
  // The same file's own WAL, as a kill -9 leaves it.
  const auto copy = dir / "copy.db";
  std::filesystem::copy_file(path, copy);
  plant_foreign_wal(
      copy,
      "INSERT INTO segments(first_seq, count, bytes, data) "
      "SELECT first_seq + 100, count, bytes, data FROM segments;"
      "UPDATE totals SET value = value * 2 WHERE name = 'last_seq';"
      "UPDATE group_stats SET pending = pending * 2, pending_bytes = pending_bytes * 2;",
      path);
  auto buffer = open_buffer(buffer::Options{.path = path});
  CHECK(buffer->stats()->pending == 200);
  CHECK(buffer::list_quarantined(path).empty());
}

TEST_CASE("a WAL without its database is moved aside instead of replayed into a new one") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_buffer(dir / "old.db", 10);
  plant_foreign_wal(dir / "old.db", "DELETE FROM segments WHERE first_seq <= 5;", path);
  check_fresh_buffer_works(path, 0);
  const auto note = only_quarantine(path);
  CHECK(note.reason == "wal_mismatch");
  CHECK(std::filesystem::exists(note.database.string() + ".wal"));
}

// Overwrites the first `bytes` bytes of the page in the middle of the file: its b-tree page
// header and cell pointers, which quick_check reads and plain probes of the tables do not.
void damage_middle_page(const std::filesystem::path& path, std::size_t bytes) {
  std::string content = read_file(path);
  const std::size_t page = 4096;
  const std::size_t pages = content.size() / page;
  REQUIRE(pages > 20);
  const std::size_t at = (pages / 2) * page;
  for (std::size_t i = 0; i < bytes; ++i)
    content[at + i] = static_cast<char>(content[at + i] ^ 0x5A);
  write_file(path, content);
}

TEST_CASE("a buffer damaged in the middle is found by quick_check at open and moved aside") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_buffer(path, 3000);
  damage_middle_page(path, 512);
  const std::string digest = sha256_of(path);

  check_fresh_buffer_works(path, 3000);
  const auto note = only_quarantine(path);
  CHECK(note.reason == "damaged");
  CHECK(note.rows == 3000);
  CHECK_THAT(note.detail, Catch::Contains("malformed") || Catch::Contains("quick_check"));
  CHECK(sha256_of(note.database) == digest);
}

TEST_CASE("corruption met at run time moves the file aside and new readings keep flowing") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  make_buffer(path, 3000);
  damage_middle_page(path, 512);
  buffer::Options options{.path = path};
  options.quick_check_budget = std::chrono::milliseconds(0);  // let the damage through at open
  auto buffer = open_buffer(options);
  REQUIRE(buffer::list_quarantined(path).empty());

  // Draining walks into the damaged page.
  bool failed = false;
  for (int rounds = 0; rounds < 100 && !failed; ++rounds) {
    auto batch = buffer->next_batch(500);
    failed = !batch.ok();
    if (failed) CHECK(batch.error().code == buffer::BufferError::kCorrupt);
    if (!failed && batch->empty()) break;
  }
  REQUIRE(failed);
  REQUIRE(wait_until([&] { return buffer::list_quarantined(path).size() == 1; }));
  const auto note = only_quarantine(path);
  CHECK(note.reason == "damaged");
  CHECK(note.rows == 3000);
  CHECK(note.last_seq == 3000);

  const auto appended = buffer->append(make_records("new", 0, 5));
  REQUIRE(appended.ok());
  CHECK(appended->first > 3000);  // seqs are never reused, also across the quarantine
  const auto rows = read_all(*buffer);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].record.value == make_record("new", 0).value);
  CHECK(buffer->stats()->pending == 5);
  buffer->close();
}

TEST_CASE("the state directory is created 0750 and the buffer's files 0640") {
  TempDir dir;
  const auto path = dir / "state" / "buffer.db";
  const mode_t old_umask = ::umask(022);
  {
    auto buffer = open_buffer(buffer::Options{.path = path});
    REQUIRE(buffer->append(make_records("d", 0, 10)).ok());
    auto mode_of = [](const std::filesystem::path& file) {
      struct stat st {};
      REQUIRE(::stat(file.c_str(), &st) == 0);
      return st.st_mode & 0777;
    };
    CHECK(mode_of(dir / "state") == 0750);
    CHECK(mode_of(path) == 0640);
    CHECK(mode_of(path.string() + "-wal") == 0640);
    CHECK(mode_of(path.string() + "-shm") == 0640);
    CHECK(mode_of(path.string() + ".reserve") == 0640);
  }
  ::umask(old_umask);
}

TEST_CASE("file errors name the file and the operating system's reason") {
  TempDir dir;
  write_file(dir / "plain", "a file, not a directory\n");
  const auto below_file =
      buffer::Buffer::open(buffer::Options{.path = dir / "plain" / "buffer.db"});
  REQUIRE_FALSE(below_file.ok());
  CHECK(below_file.error().message ==
        "cannot use " + (dir / "plain").string() + " as the buffer's directory: Not a directory");

  std::filesystem::create_directory(dir / "buffer.db");
  const auto directory = buffer::Buffer::open(buffer::Options{.path = dir / "buffer.db"});
  REQUIRE_FALSE(directory.ok());
  CHECK_THAT(directory.error().message, Catch::Contains((dir / "buffer.db").string()));
  CHECK_THAT(directory.error().message, Catch::Contains("Is a directory"));
}

}  // namespace
}  // namespace sensorgate::testing
