#pragma once
// Window scaling (RFC 7323 §2).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/ring_buffer.hpp"

namespace synack::tcp {

// The smallest shift that lets the whole receive buffer be advertised in the
// 16-bit window field; RFC 7323 §2.3 caps it at 14.
constexpr std::uint8_t window_shift_for(std::size_t buffer) {
  std::uint8_t s = 0;
  while (s < 14 && (buffer >> s) > 0xffff)
    ++s;
  return s;
}

// The window a SYN or SYN-ACK offers (never scaled, RFC 7323 §2.2): the
// buffer's, up to 65535; while the stack's buffer budget is under pressure
// only an empty buffer's first block, which is always granted, so the first
// flight is not sent into room the budget no longer has.
constexpr std::uint16_t handshake_window(std::size_t recv_buffer, bool buffers_under_pressure) {
  std::size_t w = std::min<std::size_t>(recv_buffer, 0xffff);
  if (buffers_under_pressure) w = std::min(w, RingBuffer::kFirstAllocation);
  return static_cast<std::uint16_t>(w);
}

}  // namespace synack::tcp
