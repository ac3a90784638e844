// Reading the alerts table: the firing state a restarted gateway restores and the history that
// `sensorgate alerts` shows. Not thread-safe (uses `db`).
#pragma once

#include <optional>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer/sqlite.hpp"

namespace sensorgate::buffer {

struct AlertQueryBounds {
  std::int64_t since_ns = 0;
  std::int64_t limit = 0;
};

// Runs `sql` (one of schema::sql's alert selects) with the bounds bound to ?1 and ?2 when given.
Result<std::vector<AlertRow>, BufferError> query_alerts(Database& db, const char* sql,
                                                        std::optional<AlertQueryBounds> bounds);

}  // namespace sensorgate::buffer
