#pragma once
// External ports (and ICMP identifiers) of the NAT's outside address, one
// set per protocol. A new mapping keeps the inside port when it is free
// (port preservation, RFC 4787 REQ-3 / RFC 5382 REQ-1 allow it); otherwise a
// random free port from the same range is chosen with RFC 6056 §3.3.1's
// "simple port randomization" (Algorithm 1), so that outsiders cannot guess
// the next mapping. Ranges (RFC 4787 REQ-3): an inside port 0..1023 maps into
// 1..1023, anything else into 1024..65535. Port parity is not kept (REQ-4
// makes it optional).
#include <bitset>
#include <cstdint>
#include <optional>

#include "apps/nat/flow_tuple.hpp"

namespace synack::nat {

// A small deterministic generator (splitmix64): sans-IO, the seed is given.
class Random {
 public:
  explicit Random(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t s_;
};

class PortAllocator {
 public:
  explicit PortAllocator(std::uint64_t seed) : rng_(seed) {}

  // A free port for an inside port `wanted`: `wanted` itself when free, else
  // a random free one of its range. nullopt when the range is exhausted.
  std::optional<std::uint16_t> allocate(Protocol p, std::uint16_t wanted);
  // Takes `port` if free (a port forward's, or a NAT-PMP suggestion).
  bool reserve(Protocol p, std::uint16_t port);
  void release(Protocol p, std::uint16_t port);
  bool in_use(Protocol p, std::uint16_t port) const { return set(p).test(port); }
  std::size_t used(Protocol p) const { return set(p).count(); }

 private:
  std::bitset<65536>& set(Protocol p) { return used_[index(p)]; }
  const std::bitset<65536>& set(Protocol p) const { return used_[index(p)]; }
  static int index(Protocol p) { return p == Protocol::Tcp ? 0 : p == Protocol::Udp ? 1 : 2; }

  Random rng_;
  std::bitset<65536> used_[3];
};

}  // namespace synack::nat
