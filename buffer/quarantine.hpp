// Quarantine: a buffer file that cannot be used safely is moved aside, never merged, mended or
// deleted. <path>.quarantined-<UTC time> holds the database; its -wal and -shm become
// <that>.wal and <that>.shm, names SQLite never pairs with the database again (so opening the
// quarantined copy cannot fold a foreign WAL into it); <that>.note says, in "key: value"
// lines, why, when, how many pending rows it held and how to read it. `sensorgate backlog` and
// the buffer_corrupt alert list the notes. Not thread-safe for one path; no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"

namespace sensorgate::buffer {

enum class QuarantineReason {
  kWalMismatch,  // "wal_mismatch": the -wal beside the file does not fit it (foreign, or stale)
  kDamaged,      // "damaged": the database itself fails its checks or SQLite reports corruption
};
const char* quarantine_reason_label(QuarantineReason reason);

struct QuarantineNote {
  std::filesystem::path database;  // where the database file went (it may not have existed)
  std::string reason;              // quarantine_reason_label
  std::int64_t rows = -1;          // pending rows it held; -1 when they could not be counted
  std::int64_t last_seq = -1;      // the highest seq it handed out; -1 when unreadable
  std::int64_t at_ns = 0;
  std::string detail;  // what the check or SQLite said
};

// Moves `path` and its -wal and -shm (those that exist) aside under a fresh quarantine name and
// writes the note. `rows`/`last_seq` < 0: counted from the moved database alone (without any
// WAL), where it can be read. Fails with kIo naming the file when a rename fails; what was
// moved stays moved.
Result<QuarantineNote, BufferError> quarantine_files(const std::filesystem::path& path,
                                                     QuarantineReason reason, std::int64_t rows,
                                                     std::int64_t last_seq,
                                                     const std::string& detail);

// The notes of every quarantined copy of `path` still in its directory, oldest first.
std::vector<QuarantineNote> list_quarantined(const std::filesystem::path& path);

// One line for logs and alerts: "<database> (<reason>, <rows> pending rows): <detail>".
std::string describe(const QuarantineNote& note);

}  // namespace sensorgate::buffer
