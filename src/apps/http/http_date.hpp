#pragma once
// The Date header field (RFC 9110 §6.6.1) in IMF-fixdate form (§5.6.7),
// "Sun, 06 Nov 1994 08:49:37 GMT". Sans-IO: the caller passes the wall-clock
// time in (the tool reads the clock); the text is made once per second.
#include <cstdint>
#include <string>
#include <string_view>

namespace synack::apps::http {

// IMF-fixdate of a time in seconds since 1970-01-01 00:00:00 UTC.
std::string imf_fixdate(std::int64_t unix_seconds);

class HttpDate {
 public:
  // The current wall-clock time; formats only when the second changed.
  void set(std::int64_t unix_seconds);
  // "" until set(): a server without a clock sends no Date (§6.6.1).
  std::string_view value() const { return text_; }

 private:
  std::int64_t seconds_ = -1;
  std::string text_;
};

}  // namespace synack::apps::http
