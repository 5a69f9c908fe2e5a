#include "apps/nat/icmp_rate_limiter.hpp"

#include <algorithm>

namespace synack::nat {

void IcmpRateLimiter::refill(Bucket& b, Instant now, double rate, double burst) {
  if (now > b.last) {
    double seconds = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst, b.tokens + seconds * rate);
    b.last = now;
  }
}

bool IcmpRateLimiter::allow(Instant now, wire::Ipv4Address dst) {
  refill(global_, now, limits_.global_per_second, limits_.global_burst);
  auto it = per_dst_.find(dst.to_u32());
  if (it == per_dst_.end()) {
    // A bounded map: when full, forget every destination (each starts again
    // with a full burst; the global bucket still holds).
    if (per_dst_.size() >= limits_.max_destinations) per_dst_.clear();
    it = per_dst_.emplace(dst.to_u32(), Bucket{limits_.per_destination_burst, now}).first;
  }
  Bucket& b = it->second;
  refill(b, now, limits_.per_destination_per_second, limits_.per_destination_burst);
  if (global_.tokens < 1 || b.tokens < 1) return false;
  global_.tokens -= 1;
  b.tokens -= 1;
  return true;
}

}  // namespace synack::nat
