#pragma once
// The attacker of the SYN flood lab: SYN frames (raw IPv4) from random,
// spoofed source addresses and ports, as the article describes the attack.
// Deterministic for a seed.
#include <cstdint>
#include <random>
#include <vector>

#include "wire/ipv4_address.hpp"

namespace synack::flood {

class SpoofedSynSource {
 public:
  // Sources are drawn from `pool`/`prefix_len` (a range nobody on the
  // simulated network owns, so SYN-ACKs to them go nowhere).
  SpoofedSynSource(std::uint64_t seed, wire::Ipv4Address target, std::uint16_t port,
                   wire::Ipv4Address pool, int prefix_len);
  // One SYN with an MSS option, as flood tools send them.
  std::vector<std::uint8_t> next_frame();
  std::uint64_t sent() const { return sent_; }

 private:
  std::mt19937_64 rng_;
  wire::Ipv4Address target_;
  std::uint16_t port_;
  std::uint32_t pool_base_;
  std::uint32_t pool_mask_;
  std::uint64_t sent_ = 0;
};

}  // namespace synack::flood
