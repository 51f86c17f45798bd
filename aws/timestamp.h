#pragma once
// UTC timestamps in the two shapes AWS uses. Hand-rolled on <chrono>'s
// calendar types because g++ 12 has neither std::format nor chrono::parse.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace aws {

using TimePoint = std::chrono::system_clock::time_point;

// SigV4 "basic" form: 20150830T123600Z.
std::string amz_date(TimePoint when);
// Extended form used by IMDS and STS: 2015-08-30T12:36:00Z.
std::string iso8601_utc(TimePoint when);
// Parses "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds ignored); nullopt otherwise.
std::optional<TimePoint> parse_iso8601_utc(std::string_view text);

}  // namespace aws
