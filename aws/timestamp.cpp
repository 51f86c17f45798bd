#include "aws/timestamp.h"

#include <fmt/format.h>

#include <charconv>

namespace aws {
namespace {

struct UtcFields {
  int year;
  unsigned month, day;
  long hours, minutes, seconds;
};

UtcFields split_utc(TimePoint when) {
  using namespace std::chrono;
  const auto seconds_since_epoch = floor<seconds>(when);
  const auto day_start = floor<days>(seconds_since_epoch);
  const year_month_day date{day_start};
  const hh_mm_ss time{seconds_since_epoch - day_start};
  return UtcFields{static_cast<int>(date.year()),
                   static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day()),
                   static_cast<long>(time.hours().count()),
                   static_cast<long>(time.minutes().count()),
                   static_cast<long>(time.seconds().count())};
}

// Reads exactly `width` digits at `offset`; -1 when they are not all digits.
int digits_at(std::string_view text, std::size_t offset, std::size_t width) {
  int value = 0;
  const char* first = text.data() + offset;
  const auto [end, error] = std::from_chars(first, first + width, value);
  if (error != std::errc() || end != first + width) return -1;
  return value;
}

}  // namespace

std::string amz_date(TimePoint when) {
  const UtcFields utc = split_utc(when);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", utc.year, utc.month, utc.day, utc.hours,
                     utc.minutes, utc.seconds);
}

std::string iso8601_utc(TimePoint when) {
  const UtcFields utc = split_utc(when);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.year, utc.month, utc.day,
                     utc.hours, utc.minutes, utc.seconds);
}

std::optional<TimePoint> parse_iso8601_utc(std::string_view text) {
  // 2015-08-30T12:36:00Z, optionally 2015-08-30T12:36:00.123Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return std::nullopt;
  }
  if (text.size() > 20 && text[19] != '.') return std::nullopt;
  const int year = digits_at(text, 0, 4), month = digits_at(text, 5, 2),
            day = digits_at(text, 8, 2);
  const int hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2),
            second = digits_at(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
}

}  // namespace aws
