#include "buffer/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "buffer/backlog_query.hpp"

namespace sensorgate::buffer {
namespace {

Error<BufferError> os_error(const std::string& what, const std::filesystem::path& path, int error) {
  return make_error(BufferError::kIo, what + " " + path.string() + ": " + std::strerror(error));
}

}  // namespace

Status<BufferError> create_private_directories(const std::filesystem::path& directory) {
  if (directory.empty()) return {};
  std::vector<std::filesystem::path> missing;
  std::error_code error;
  for (auto at = directory; !at.empty() && !std::filesystem::exists(at, error);
       at = at.parent_path()) {
    missing.push_back(at);
    if (at == at.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0 && errno != EEXIST) {
      return os_error("cannot create the buffer's directory", *it, errno);
    }
  }
  if (!std::filesystem::is_directory(directory, error)) {
    return make_error(BufferError::kIo, "cannot use " + directory.string() +
                                            " as the buffer's directory: " +
                                            (error ? error.message() : std::strerror(ENOTDIR)));
  }
  return {};
}

Status<BufferError> create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return os_error("cannot create buffer file", path, errno);
  }
  ::close(fd);
  return {};
}

Status<BufferError> write_private_file(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return os_error("cannot create", path, errno);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      return os_error("cannot write", path, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return os_error("cannot write", path, errno);
  return {};
}

std::filesystem::path reserve_path(const std::filesystem::path& buffer_path) {
  return buffer_path.string() + ".reserve";
}

Status<BufferError> create_reserve(const std::filesystem::path& buffer_path, Bytes size) {
  const auto path = reserve_path(buffer_path);
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 &&
      static_cast<std::uint64_t>(existing.st_blocks) * 512 >= size.count) {
    return {};
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return os_error("cannot create the buffer's reserve file", path, errno);
  // posix_fallocate returns the error instead of setting errno.
  const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(size.count));
  ::close(fd);
  if (error != 0) {
    ::unlink(path.c_str());
    return os_error("cannot allocate " + format_bytes(size) + " for the buffer's reserve file",
                    path, error);
  }
  return {};
}

bool release_reserve(const std::filesystem::path& buffer_path) {
  return ::unlink(reserve_path(buffer_path).c_str()) == 0;
}

std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path) {
  std::error_code error;
  auto at = path;
  while (!at.empty() && !std::filesystem::exists(at, error)) {
    if (at == at.parent_path()) break;
    at = at.parent_path();
  }
  if (at.empty()) at = ".";
  struct statvfs fs {};
  if (::statvfs(at.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::optional<std::string> free_space_warning(const std::filesystem::path& buffer_path,
                                              Bytes max_bytes) {
  const auto directory =
      buffer_path.has_parent_path() ? buffer_path.parent_path() : std::filesystem::path(".");
  const auto available = free_bytes(directory);
  if (!available) return std::nullopt;
  const std::uint64_t room = *available + database_bytes_on_disk(buffer_path);
  if (max_bytes.count <= room) return std::nullopt;
  return "buffer.max_bytes (" + format_bytes(max_bytes) + ") exceeds the free space of " +
         directory.string() + " (" + format_bytes(Bytes{room}) +
         " including the buffer itself): the disk fills up before the cap; lower "
         "buffer.max_bytes or free space";
}

}  // namespace sensorgate::buffer
