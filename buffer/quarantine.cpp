#include "buffer/quarantine.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>

#include "buffer/files.hpp"
#include "buffer/schema.hpp"
#include "buffer/sqlite.hpp"
#include "core/time_format.hpp"

namespace sensorgate::buffer {
namespace {

constexpr std::string_view kInfix = ".quarantined-";
constexpr std::string_view kNoteSuffix = ".note";

std::string utc_stamp(std::int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// A quarantine name nothing uses yet: the time, then -2, -3, ... when needed.
std::filesystem::path fresh_name(const std::filesystem::path& path, std::int64_t ns) {
  const std::string base = path.string() + std::string(kInfix) + utc_stamp(ns);
  std::error_code error;
  for (int n = 1;; ++n) {
    std::filesystem::path candidate = n == 1 ? base : base + "-" + std::to_string(n);
    if (!std::filesystem::exists(candidate, error) &&
        !std::filesystem::exists(candidate.string() + std::string(kNoteSuffix), error)) {
      return candidate;
    }
  }
}

// Counts from the database alone: immutable=1 reads the file as it is, takes no locks and
// creates no -shm or -wal beside it.
void count_rows(const std::filesystem::path& database, std::int64_t& rows, std::int64_t& last_seq) {
  std::error_code error;
  if (!std::filesystem::exists(database, error)) return;
  Database db("file:" + database.string() + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
  if (db.open_code() != SQLITE_OK) return;
  if (rows < 0) {
    const auto pending = db.query_int(schema::sql::kSelectPending);
    if (pending.ok()) rows = *pending;
  }
  if (last_seq < 0) {
    // Version 3 and later: totals and segments; older files: AUTOINCREMENT's table.
    auto seq = db.query_int(schema::sql::kSelectHighestSeq);
    if (!seq.ok()) seq = db.query_int(schema::sql::kVersion2LastSeq);
    if (seq.ok()) last_seq = *seq;
  }
}

std::string how_to_read(const QuarantineNote& note) {
  return "sqlite3 'file:" + note.database.string() + "?immutable=1' \"" +
         std::string(schema::sql::kSelectPending) +
         "\" reads how many "
         "readings the database alone holds (many to a row of its segments table); "
         "its WAL, if any, was renamed to " +
         note.database.string() +
         ".wal so that nothing merges it by accident: copy both elsewhere and rename it to "
         "<copy>-wal only if it is known to belong";
}

}  // namespace

const char* quarantine_reason_label(QuarantineReason reason) {
  switch (reason) {
    case QuarantineReason::kWalMismatch:
      return "wal_mismatch";
    case QuarantineReason::kDamaged:
      return "damaged";
  }
  return "damaged";
}

Result<QuarantineNote, BufferError> quarantine_files(const std::filesystem::path& path,
                                                     QuarantineReason reason, std::int64_t rows,
                                                     std::int64_t last_seq,
                                                     const std::string& detail) {
  QuarantineNote note;
  note.at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  note.database = fresh_name(path, note.at_ns);
  note.reason = quarantine_reason_label(reason);
  note.detail = detail;
  // The WAL and shm go first: a crash between the renames leaves the database alone at its
  // name, which is never worse than it with a WAL that does not fit it.
  const std::pair<std::string, std::string> moves[] = {
      {path.string() + "-wal", note.database.string() + ".wal"},
      {path.string() + "-shm", note.database.string() + ".shm"},
      {path.string(), note.database.string()}};
  for (const auto& [from, to] : moves) {
    if (std::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return make_error(BufferError::kIo,
                        "cannot move " + from + " aside to " + to + ": " + std::strerror(errno));
    }
  }
  note.rows = rows;
  note.last_seq = last_seq;
  count_rows(note.database, note.rows, note.last_seq);
  std::ostringstream text;
  text << "reason: " << note.reason << "\nrows: " << note.rows << "\nlast_seq: " << note.last_seq
       << "\nat_ns: " << note.at_ns << "\nat: " << format_rfc3339(note.at_ns)
       << "\ndatabase: " << note.database.string() << "\ndetail: " << note.detail
       << "\nhow_to_read: " << how_to_read(note) << "\n";
  const auto written =
      write_private_file(note.database.string() + std::string(kNoteSuffix), text.str());
  if (!written.ok()) return written.error();
  return note;
}

std::vector<QuarantineNote> list_quarantined(const std::filesystem::path& path) {
  std::vector<QuarantineNote> notes;
  const auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::string prefix = path.filename().string() + std::string(kInfix);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() <= kNoteSuffix.size() ||
        name.compare(name.size() - kNoteSuffix.size(), kNoteSuffix.size(), kNoteSuffix) != 0) {
      continue;
    }
    std::ifstream in(entry.path());
    QuarantineNote note;
    note.database =
        entry.path().string().substr(0, entry.path().string().size() - kNoteSuffix.size());
    std::string line;
    for (int lines = 0; lines < 100 && std::getline(in, line); ++lines) {
      const auto colon = line.find(": ");
      if (colon == std::string::npos) continue;
      const std::string key = line.substr(0, colon);
      const std::string value = line.substr(colon + 2);
      try {
        if (key == "reason") note.reason = value;
        if (key == "rows") note.rows = std::stoll(value);
        if (key == "last_seq") note.last_seq = std::stoll(value);
        if (key == "at_ns") note.at_ns = std::stoll(value);
        if (key == "detail") note.detail = value;
      } catch (const std::exception&) {
        // A hand-edited note: the field stays unknown.
      }
    }
    notes.push_back(std::move(note));
  }
  std::sort(notes.begin(), notes.end(), [](const QuarantineNote& a, const QuarantineNote& b) {
    return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.database < b.database;
  });
  return notes;
}

std::string describe(const QuarantineNote& note) {
  return note.database.string() + " (" + note.reason + ", " +
         (note.rows < 0 ? std::string("unknown number of") : std::to_string(note.rows)) +
         " pending rows): " + note.detail;
}

}  // namespace sensorgate::buffer
