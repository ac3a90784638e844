// Files that are not ours, damaged or too new are refused and left untouched.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"
#include "buffer_test_util.hpp"
#include "support/temp_dir.hpp"

namespace sensorgate::testing {
namespace {

buffer::Options options_for(const std::filesystem::path& path) {
  buffer::Options options;
  options.path = path;
  return options;
}

void run_sql(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::string untouched(const std::filesystem::path& path) {
  return "; it was left untouched. Point buffer.path at another file, or move " + path.string() +
         " away (keep it if it may hold readings) and start again";
}

TEST_CASE("a file that is not an SQLite database is refused and left as it was") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  write_file(path, "these are my notes, not a database\n");
  const auto opened = buffer::Buffer::open(options_for(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == buffer::BufferError::kNotABuffer);
  CHECK(opened.error().message == "buffer file " + path.string() +
                                      " is not a sensorgate buffer (not an SQLite database)" +
                                      untouched(path));
  CHECK(read_file(path) == "these are my notes, not a database\n");
  CHECK(buffer::read_backlog(path).error().code == buffer::BufferError::kNotABuffer);
}

TEST_CASE("another application's SQLite database is refused and left as it was") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  run_sql(path,
          "CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount REAL);"
          "INSERT INTO invoices VALUES (1, 99.5);");
  const std::string before = read_file(path);
  const auto opened = buffer::Buffer::open(options_for(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == buffer::BufferError::kNotABuffer);
  CHECK(opened.error().message == "buffer file " + path.string() +
                                      " is an SQLite database but not a sensorgate buffer" +
                                      untouched(path));
  CHECK(read_file(path) == before);

  run_sql(path, "PRAGMA application_id = 1234;");
  const auto other = buffer::Buffer::open(options_for(path));
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().message ==
        "buffer file " + path.string() +
            " is not a sensorgate buffer (it belongs to another application, id 0x000004d2)" +
            untouched(path));
}

TEST_CASE("a buffer written by a newer schema version is refused") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  { auto buffer = open_buffer(options_for(path)); }
  run_sql(path, "PRAGMA user_version = 99;");
  const auto opened = buffer::Buffer::open(options_for(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == buffer::BufferError::kTooNew);
  CHECK(opened.error().message ==
        "buffer file " + path.string() +
            " has schema version 99, newer than this sensorgate (4); it was left untouched. "
            "Upgrade sensorgate to read it");
}

TEST_CASE("a damaged buffer is moved aside as it was and a fresh one starts") {
  TempDir dir;
  const auto path = dir / "buffer.db";
  {
    auto buffer = open_buffer(options_for(path));
    REQUIRE(buffer->append(make_records("d", 0, 50)).ok());
  }
  // Overwrite every page after the first with garbage; page 1 (header, schema) stays intact.
  std::string bytes = read_file(path);
  REQUIRE(bytes.size() > 8192);
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5 ^ (i * 31));
  write_file(path, bytes);

  auto buffer = open_buffer(options_for(path));
  CHECK(buffer->stats()->pending == 0);
  const auto notes = buffer::list_quarantined(path);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].reason == "damaged");
  CHECK_THAT(notes[0].detail, Catch::StartsWith("buffer file " + path.string() + " is damaged ("));
  CHECK(read_file(notes[0].database) == bytes);
  const auto appended = buffer->append(make_records("d", 100, 1));
  REQUIRE(appended.ok());
  CHECK(appended->first > 50);  // the old file's seqs could not be read: the floor is the clock
}

TEST_CASE("a new buffer is created with its directory") {
  TempDir dir;
  const auto path = dir / "state" / "sub" / "buffer.db";
  auto buffer = open_buffer(options_for(path));
  CHECK(std::filesystem::exists(path));
}

}  // namespace
}  // namespace sensorgate::testing
