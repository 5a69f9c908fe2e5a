#pragma once
// Limits the ICMP errors the router generates (RFC 1812 §4.3.2.8: a router
// SHOULD limit the rate; without it a flood of TTL-1 or oversized packets
// is reflected one for one). Two token buckets, as Linux has: one for all
// errors (icmp_msgs_per_sec 1000, icmp_msgs_burst 50) and one per
// destination (icmp_ratelimit: one per second, a burst of 6 — enough for
// traceroute's three probes per hop). Sans-IO: time is an argument.
#include <cstdint>
#include <unordered_map>

#include "core/time.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::nat {

struct IcmpRateLimits {
  double global_per_second = 1000;
  double global_burst = 50;
  double per_destination_per_second = 1;
  double per_destination_burst = 6;
  std::size_t max_destinations = 1024;  // the per-destination buckets kept
};

class IcmpRateLimiter {
 public:
  explicit IcmpRateLimiter(IcmpRateLimits limits = {}) : limits_(limits) {}
  // Whether an error to `dst` may be sent now (taking a token if so).
  bool allow(Instant now, wire::Ipv4Address dst);

 private:
  struct Bucket {
    double tokens = 0;
    Instant last{};
  };
  static void refill(Bucket& b, Instant now, double rate, double burst);

  IcmpRateLimits limits_;
  Bucket global_{limits_.global_burst, Instant{}};
  std::unordered_map<std::uint32_t, Bucket> per_dst_;
};

}  // namespace synack::nat
