#pragma once
// Window scaling (RFC 7323 §2).
#include <cstddef>
#include <cstdint>

namespace synack::tcp {

// The smallest shift that lets the whole receive buffer be advertised in the
// 16-bit window field; RFC 7323 §2.3 caps it at 14.
constexpr std::uint8_t window_shift_for(std::size_t buffer) {
  std::uint8_t s = 0;
  while (s < 14 && (buffer >> s) > 0xffff)
    ++s;
  return s;
}

}  // namespace synack::tcp
