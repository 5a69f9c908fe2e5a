#include "apps/http/http_date.hpp"

#include <fmt/format.h>

namespace synack::apps::http {

namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil,
// inverted), proleptic Gregorian.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

}  // namespace

std::string imf_fixdate(std::int64_t t) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  int wd = static_cast<int>(((days % 7) + 7) % 7);  // 1970-01-01 was a Thursday
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[wd], d, kMonths[m - 1], y,
                     secs / 3600, secs / 60 % 60, secs % 60);
}

void HttpDate::set(std::int64_t unix_seconds) {
  if (unix_seconds == seconds_) return;
  seconds_ = unix_seconds;
  text_ = imf_fixdate(unix_seconds);
}

}  // namespace synack::apps::http
