#pragma once
// Virtual time. The protocol core never reads a clock: every entry point takes
// `Instant now`, and every timer is a deadline compared against it.
#include <chrono>
#include <cstdint>
#include <limits>

namespace synack {

// A clock with no now(): instants only come from the caller (the event loop or
// the simulator).
struct VirtualClock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<VirtualClock>;
  static constexpr bool is_steady = true;
};

using Duration = VirtualClock::duration;
using Instant = VirtualClock::time_point;

constexpr Instant kNever = Instant::max();

constexpr Instant instant_from_us(std::int64_t us) {
  return Instant(Duration(us));
}
constexpr std::int64_t to_us(Instant t) {
  return t.time_since_epoch().count();
}
constexpr std::int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Earliest of two deadlines; kNever means "no deadline".
constexpr Instant earliest(Instant a, Instant b) {
  return a < b ? a : b;
}

}  // namespace synack
