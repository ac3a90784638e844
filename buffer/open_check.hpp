// The checks an existing buffer file passes before anything opens it for writing. They run
// through a read-only connection that can neither checkpoint nor write (SQLITE_OPEN_READONLY,
// no checkpoint on close; immutable=1 when there is no WAL, so that not even a -shm appears):
// a -wal that does not belong to the database is seen through that connection and the pair is
// never merged. Checks: SQLite header, application_id and schema version, a probe of every
// table, the totals against the records (any WAL from elsewhere breaks that; a file of an older
// schema version is counted as that version stores its records), and
// PRAGMA quick_check within a time budget. Not thread-safe for one path; no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"

namespace sensorgate::buffer {

struct FileVerdict {
  bool quarantine = false;  // the file must be moved aside (quarantine.hpp) before a fresh start
  QuarantineReason reason = QuarantineReason::kDamaged;
  std::string detail;      // what failed
  std::int64_t rows = -1;  // pending rows as the checked view counts them; -1 when unreadable
  bool quick_check_cut_short = false;  // the budget ran out before quick_check finished
};

// Checks the file at `path` and the -wal beside it (either may be missing). Fails, leaving every
// file as it was, when the file is not a sensorgate buffer (kNotABuffer), is too new (kTooNew)
// or cannot be read (kIo); otherwise says whether it is usable or must be quarantined.
// `quick_check_budget` bounds the scans of the whole file (the totals check and quick_check);
// 0: neither runs, only the probes.
Result<FileVerdict, BufferError> check_existing_file(const std::filesystem::path& path,
                                                     std::chrono::milliseconds quick_check_budget);

}  // namespace sensorgate::buffer
