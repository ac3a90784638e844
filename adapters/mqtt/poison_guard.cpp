#include "adapters/mqtt/poison_guard.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace sensorgate::mqtt {

// The file's layout; written with plain stores through the shared mapping.
struct PoisonGuard::Marker {
  std::uint64_t magic;
  std::uint64_t fingerprint;  // 0: no message in progress
  std::uint32_t attempts;
  std::uint32_t reserved;
};

namespace {

constexpr std::uint64_t kMagic = 0x73677030696e666cULL;  // "sgp0infl"

std::uint64_t fingerprint_of(std::string_view topic, std::string_view payload) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  auto mix = [&hash](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
  };
  mix(topic);
  mix(std::string_view("\0", 1));
  mix(payload);
  return hash == 0 ? 1 : hash;  // 0 means "none"
}

Error<PoisonGuardError> cannot(const std::filesystem::path& file, const std::string& what) {
  return make_error(PoisonGuardError::kCannotOpen,
                    "cannot " + what + " " + file.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<PoisonGuard, PoisonGuardError> PoisonGuard::open(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return cannot(file, "open");
  if (::ftruncate(fd, sizeof(Marker)) != 0) {
    auto error = cannot(file, "size");
    ::close(fd);
    return error;
  }
  void* mapped = ::mmap(nullptr, sizeof(Marker), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) {
    auto error = cannot(file, "map");
    ::close(fd);
    return error;
  }
  ::close(fd);  // the mapping keeps the file
  auto* marker = static_cast<Marker*>(mapped);
  std::uint64_t suspect = 0;
  std::uint32_t attempts = 0;
  if (marker->magic == kMagic && marker->fingerprint != 0) {
    suspect = marker->fingerprint;
    attempts = marker->attempts;
  }
  *marker = Marker{kMagic, 0, 0, 0};
  return PoisonGuard(marker, suspect, attempts);
}

PoisonGuard::PoisonGuard(Marker* marker, std::uint64_t suspect, std::uint32_t suspect_attempts)
    : marker_(marker), suspect_(suspect), suspect_attempts_(suspect_attempts) {}

PoisonGuard::PoisonGuard(PoisonGuard&& other) noexcept
    : marker_(other.marker_), suspect_(other.suspect_), suspect_attempts_(other.suspect_attempts_) {
  other.marker_ = nullptr;
}

PoisonGuard::~PoisonGuard() {
  if (marker_ != nullptr) ::munmap(marker_, sizeof(Marker));
}

std::uint32_t PoisonGuard::begin(std::string_view topic, std::string_view payload) {
  const std::uint64_t fingerprint = fingerprint_of(topic, payload);
  std::uint32_t attempts = 1;
  if (suspect_ != 0) {
    if (fingerprint == suspect_) attempts = suspect_attempts_ + 1;
    suspect_ = 0;  // the first message after a restart is the one the broker resends first
  }
  marker_->attempts = attempts;
  // The fingerprint last: a torn marker (killed between the stores) reads as no message.
  std::atomic_signal_fence(std::memory_order_release);
  marker_->fingerprint = fingerprint;
  return attempts;
}

void PoisonGuard::finish() {
  marker_->fingerprint = 0;
}

}  // namespace sensorgate::mqtt
