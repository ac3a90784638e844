// Upgrades of older buffer files to the schema this build writes (schema.hpp: kVersion).
//
// Thread safety: one connection, used by the caller alone while it runs.
#pragma once

#include <filesystem>

#include "buffer/sqlite.hpp"

namespace sensorgate::buffer {

// Version 2 (one records row per reading) -> 3 (segments), in one transaction: every pending
// record keeps its seq, topic, device, time and value, and the next seq handed out stays above
// every one the file gave before; a gap in the seqs (rows delivered out of order) starts a new
// segment. Logs how many records it moved and how long that took. On failure the file is as it
// was (rolled back) and the error says why.
Status<BufferError> migrate_to_version3(Database& db, const std::filesystem::path& path);

// Version 3 -> 4, in one transaction: the pending totals rows go (the per-topic rows sum the
// same; schema.hpp). Logs the upgrade. On failure the file is as it was and the error says why.
Status<BufferError> migrate_to_version4(Database& db, const std::filesystem::path& path);

}  // namespace sensorgate::buffer
