#pragma once
// SipHash-2-4, a keyed hash fast on short inputs: the pseudo-random function
// behind initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987).
#include <cstdint>
#include <span>

namespace synack {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
};

std::uint64_t siphash24(const SipKey& key, std::span<const std::uint8_t> data);

}  // namespace synack
