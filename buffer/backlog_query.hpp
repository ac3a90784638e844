// Backlog statistics from the aggregate tables (totals, group_stats) and the two ends of the
// segments table: a handful of indexed lookups, however many rows are pending. Used by the
// buffer's own stats() and by read_backlog() for the CLI. Not thread-safe (uses `db`).
#pragma once

#include <filesystem>
#include <memory>

#include "buffer/buffer.hpp"
#include "buffer/sqlite.hpp"

namespace sensorgate::buffer {

Result<BacklogStats, BufferError> query_backlog(Database& db, const std::filesystem::path& path);

// A read-only connection to an existing buffer file, checked like Buffer::open checks it;
// kIo when there is no file yet, kTooNew (start the daemon once) for an older schema version.
Result<std::unique_ptr<Database>, BufferError> open_read_only(const std::filesystem::path& path);

// Size on disk of the database file and its WAL.
std::uint64_t database_bytes_on_disk(const std::filesystem::path& path);

}  // namespace sensorgate::buffer
