// The shortest decimal text of a double that reads back as the same double: exactly what
// std::to_chars(first, last, value) writes, fast for the values sensors send (a few decimals).
// Pure function, thread-safe.
#pragma once

namespace sensorgate {

// Room write_shortest_double needs at `first`: the longest std::to_chars text is 24 bytes.
inline constexpr int kShortestDoubleMaxChars = 32;

// Writes the text of `value` at `first` (kShortestDoubleMaxChars bytes of room) and returns its
// end. Finite values with at most six decimals and a magnitude below 1e9 take a direct path
// (about a tenth of std::to_chars's cost); every other value, NaN and infinity included, goes
// to std::to_chars. The text is the same either way. Never fails.
char* write_shortest_double(char* first, double value);

}  // namespace sensorgate
