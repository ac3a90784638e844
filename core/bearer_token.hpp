// Bearer tokens (RFC 6750) as the HTTP endpoints check them: the http adapter's POSTs and the
// status endpoint (gateway/status/). Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace sensorgate {

// Equal strings, in time that depends on their lengths only, not on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when `authorization` (the Authorization header, possibly empty) is "Bearer <token>" with
// exactly `token`, compared in constant time. An empty `token` means none is required: true.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

}  // namespace sensorgate
