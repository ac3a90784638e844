// TempDir: a fresh directory under $TMPDIR (or /tmp) that is removed with everything in it
// when the object goes away. For tests only.
#pragma once

#include <filesystem>

namespace sensorgate::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path`, replacing what was there; throws on failure.
void write_file(const std::filesystem::path& path, const std::string& text);
// Reads the whole file; throws on failure.
std::string read_file(const std::filesystem::path& path);

}  // namespace sensorgate::testing
