#include "apps/nat/port_allocator.hpp"

namespace synack::nat {

std::optional<std::uint16_t> PortAllocator::allocate(Protocol p, std::uint16_t wanted) {
  auto& s = set(p);
  if (wanted != 0 && !s.test(wanted)) {
    s.set(wanted);
    return wanted;
  }
  // RFC 6056 §3.3.1, Algorithm 1: start at a random point of the range and
  // walk up (wrapping) to the first free port.
  std::uint32_t lo = (wanted != 0 && wanted < 1024) ? 1 : 1024;
  std::uint32_t hi = (wanted != 0 && wanted < 1024) ? 1023 : 65535;
  std::uint32_t n = hi - lo + 1;
  std::uint32_t next = lo + static_cast<std::uint32_t>(rng_.next() % n);
  for (std::uint32_t count = n; count > 0; --count) {
    if (!s.test(next)) {
      s.set(next);
      return static_cast<std::uint16_t>(next);
    }
    next = next == hi ? lo : next + 1;
  }
  return std::nullopt;
}

bool PortAllocator::reserve(Protocol p, std::uint16_t port) {
  auto& s = set(p);
  if (port == 0 || s.test(port)) return false;
  s.set(port);
  return true;
}

void PortAllocator::release(Protocol p, std::uint16_t port) {
  set(p).reset(port);
}

}  // namespace synack::nat
