// PoisonGuard: keeps one message that crashes the gateway from crash-looping it. With QoS 1/2
// and a persistent session, a message the process dies on before acknowledging comes back after
// every restart; a payload that kills the mapper would kill every restart too.
//
// Before a message is mapped, its fingerprint (FNV-1a over topic and payload) and how often it
// was begun without being finished are written to a small file mapped into memory
// (<data_dir>/<adapter>.inflight, 0640); finishing clears it. A store to a shared mapping
// survives the death of the process (it is in the page cache; a power loss may lose it, which
// costs one more crash, not a reading). At start the guard reads what the last process left:
// when the same message comes again it counts one more attempt, and a message begun
// kMaxAttempts times without finishing is poison: the caller dead-letters it and acknowledges
// it instead of mapping it again. Any other message clears the suspect. A kill -9 by an operator
// that happens to hit a message counts one attempt, so a single crash never quarantines.
//
// Thread safety: begin()/finish() from one thread at a time (Paho runs the message callbacks
// of a client one at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace sensorgate::mqtt {

enum class PoisonGuardError { kCannotOpen };

class PoisonGuard {
 public:
  // Crashes on one message before it counts as poison.
  static constexpr std::uint32_t kMaxAttempts = 2;

  // Opens or creates the marker file at `file` (the directory must exist). Errors: the file
  // cannot be created, sized or mapped; the message names the file and the OS reason.
  static Result<PoisonGuard, PoisonGuardError> open(const std::filesystem::path& file);

  PoisonGuard(PoisonGuard&& other) noexcept;
  PoisonGuard& operator=(PoisonGuard&&) = delete;
  PoisonGuard(const PoisonGuard&) = delete;
  ~PoisonGuard();

  // Marks the message as being processed. Returns how many times it was begun without being
  // finished, this time included; above kMaxAttempts it is poison.
  std::uint32_t begin(std::string_view topic, std::string_view payload);
  // The message begun last was processed (committed, rejected or dead-lettered).
  void finish();

  // The attempts the previous process left for the message it died on (0: none).
  std::uint32_t left_by_last_run() const { return suspect_attempts_; }

 private:
  struct Marker;
  PoisonGuard(Marker* marker, std::uint64_t suspect, std::uint32_t suspect_attempts);

  Marker* marker_;  // the shared mapping
  std::uint64_t suspect_;
  std::uint32_t suspect_attempts_;
};

}  // namespace sensorgate::mqtt
