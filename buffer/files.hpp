// The buffer's files on disk apart from SQLite's own handling of them: the state directory and
// files created private (directory 0750, files 0640, whatever the umask allows beyond that),
// the reserve file that lets a full disk drain, and the free-space figures behind the warnings.
// Every error names the file and the OS reason. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "buffer/buffer.hpp"

namespace sensorgate::buffer {

inline constexpr std::filesystem::perms kDirectoryMode = std::filesystem::perms(0750);
inline constexpr std::filesystem::perms kFileMode = std::filesystem::perms(0640);

// Creates every missing directory of `directory` with mode 0750; existing ones are left alone.
Status<BufferError> create_private_directories(const std::filesystem::path& directory);

// Creates `path` empty with mode 0640 unless it exists. SQLite gives the -wal and -shm files it
// creates beside a database the mode of the database file, so those end up 0640 too.
Status<BufferError> create_private_file(const std::filesystem::path& path);

// Writes `text` to a new file `path` (mode 0640), failing when it exists.
Status<BufferError> write_private_file(const std::filesystem::path& path, const std::string& text);

// The reserve file beside a buffer: <path>.reserve.
std::filesystem::path reserve_path(const std::filesystem::path& buffer_path);

// Allocates the reserve (blocks on disk, not a sparse file) unless it is there already at that
// size. Fails with kIo when the disk has no room for it; nothing is left behind then.
Status<BufferError> create_reserve(const std::filesystem::path& buffer_path, Bytes size);

// Deletes the reserve; true when there was one.
bool release_reserve(const std::filesystem::path& buffer_path);

// Bytes available to this process in the filesystem holding `path` (or its nearest existing
// parent); nullopt when that cannot be told.
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path);

// A warning when `max_bytes` exceeds what the buffer can grow to on its disk: the free space of
// the directory of `buffer_path` plus what the buffer already occupies there. `check` and the
// daemon's start print it. nullopt when the cap fits or the free space cannot be told.
std::optional<std::string> free_space_warning(const std::filesystem::path& buffer_path,
                                              Bytes max_bytes);

}  // namespace sensorgate::buffer
