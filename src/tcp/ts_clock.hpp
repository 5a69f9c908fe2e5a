#pragma once
// The clock behind our TSval (RFC 7323 §5.4): milliseconds of virtual time,
// like Linux's TCP_TS_HZ of 1000, plus a per-connection offset so the value
// reveals neither uptime nor other connections' clocks (RFC 7323 §7.1).
#include <cstdint>

#include "core/time.hpp"

namespace synack::tcp {

inline std::uint32_t ts_clock(Instant now, std::uint32_t offset) {
  return static_cast<std::uint32_t>(to_us(now) / 1000) + offset;
}

// RFC 7323 §5.3 uses "older than" in 32-bit modular arithmetic.
inline bool ts_before(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) < 0;
}

}  // namespace synack::tcp
