#include "core/time_format.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

#include "core/decimal_digits.hpp"

namespace sensorgate {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
// "YYYY-MM-DDTHH:MM:SS.": what all readings of one second share.
constexpr std::size_t kSecondsChars = 20;

// Howard Hinnant's civil-date algorithms: proleptic Gregorian calendar, days since 1970-01-01.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

char* write_rfc3339(char* out, std::int64_t ns_since_epoch) {
  std::int64_t seconds = ns_since_epoch / kNsPerSecond;
  std::int64_t fraction = ns_since_epoch % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  // Readings come in runs of one second (a batch, a poll, a datagram): the date and time of the
  // last second this thread wrote is kept, and only the fraction is written anew.
  thread_local std::int64_t cached_second = std::numeric_limits<std::int64_t>::min();
  thread_local char cached_text[kSecondsChars];
  if (seconds != cached_second) {
    std::int64_t days = seconds / 86400;
    std::int64_t second_of_day = seconds % 86400;
    if (second_of_day < 0) {
      second_of_day += 86400;
      --days;
    }
    const CivilDate date = civil_from_days(days);
    // Written digit by digit: snprintf cost ~4,000 instructions.
    char* end = cached_text;
    // int64 nanoseconds span the years 1677 to 2262: always four digits.
    end = put_digits(end, static_cast<std::uint64_t>(date.year), 4);
    *end++ = '-';
    end = put_digits(end, date.month, 2);
    *end++ = '-';
    end = put_digits(end, date.day, 2);
    *end++ = 'T';
    end = put_digits(end, static_cast<std::uint64_t>(second_of_day / 3600), 2);
    *end++ = ':';
    end = put_digits(end, static_cast<std::uint64_t>(second_of_day % 3600 / 60), 2);
    *end++ = ':';
    end = put_digits(end, static_cast<std::uint64_t>(second_of_day % 60), 2);
    *end++ = '.';
    cached_second = seconds;
  }
  std::memcpy(out, cached_text, kSecondsChars);
  out += kSecondsChars;
  const auto digits = static_cast<std::uint64_t>(fraction);
  if (digits % 1'000'000 == 0) {
    out = put_digits(out, digits / 1'000'000, 3);
  } else if (digits % 1'000 == 0) {
    out = put_digits(out, digits / 1'000, 6);
  } else {
    out = put_digits(out, digits, 9);
  }
  *out++ = 'Z';
  return out;
}

void append_rfc3339(std::string& out, std::int64_t ns_since_epoch) {
  char text[kRfc3339MaxChars];
  out.append(text, write_rfc3339(text, ns_since_epoch));
}

std::string format_rfc3339(std::int64_t ns_since_epoch) {
  std::string out;
  append_rfc3339(out, ns_since_epoch);
  return out;
}

Result<std::int64_t, TimeParseError> parse_rfc3339(std::string_view text) {
  const auto malformed = [&] {
    return make_error(
        TimeParseError::kMalformed,
        "'" + std::string(text) + "' is not an RFC 3339 timestamp (e.g. 2026-11-22T10:15:30.5Z)");
  };
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, day)) {
    return malformed();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return malformed();
  }
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, second)) {
    return malformed();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return make_error(TimeParseError::kOutOfRange,
                      "'" + std::string(text) + "' has a field out of range");
  }
  std::int64_t fraction_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return malformed();
  }
  if (pos >= text.size()) return malformed();
  std::int64_t offset_seconds = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int offset_hours, offset_minutes;
    if (!read_digits(text, pos, 2, offset_hours) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, offset_minutes)) {
      return malformed();
    }
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  } else {
    return malformed();
  }
  if (pos != text.size()) return malformed();
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // Years 0000-9999 reach beyond int64 nanoseconds (1677-09-21 to 2262-04-11). Before 1970 the
  // fraction is borrowed from the seconds first, so that the earliest instant still fits.
  if (seconds < 0 && fraction_ns > 0) {
    ++seconds;
    fraction_ns -= kNsPerSecond;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSecond, &ns) ||
      __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return make_error(TimeParseError::kOutOfRange,
                      "'" + std::string(text) + "' is outside the years 1677 to 2262");
  }
  return ns;
}

}  // namespace sensorgate
