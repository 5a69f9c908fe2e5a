#pragma once
// A NAT-PMP server (RFC 6886) for the inside network, sans-IO: it turns a
// request datagram into the response datagram (or none) and says when an
// announcement of the external address is due. Mappings are the NatEngine's
// (NatEngine::pmp_map). Only hosts of the inside network are served, and a
// host maps only its own address (§3.3: the mapping's internal address is
// the request's source address).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "apps/nat/flow_tuple.hpp"
#include "apps/nat/nat_engine.hpp"
#include "apps/nat/nat_pmp_message.hpp"
#include "core/time.hpp"

namespace synack::nat {

struct NatPmpCounters {
  std::uint64_t requests = 0;
  std::uint64_t mapped = 0;
  std::uint64_t deleted = 0;
  std::uint64_t errors = 0;   // answered with a non-zero result code
  std::uint64_t ignored = 0;  // responses, truncated requests, outsiders
  std::uint64_t announcements = 0;
};

class NatPmpServer {
 public:
  static constexpr std::uint16_t kServerPort = 5351;
  static constexpr std::uint16_t kClientPort = 5350;  // announcements go here
  static inline const wire::Ipv4Address kAnnounceGroup{224, 0, 0, 1};
  static constexpr int kAnnouncements = 10;  // §3.2.1: 10 times, 250 ms doubling

  NatPmpServer(NatEngine& engine, Instant start);

  // The response to one datagram from `client`; empty when none is sent.
  std::vector<std::uint8_t> on_request(Instant now, Endpoint client,
                                       std::span<const std::uint8_t> data);
  // The external address changed or mappings were lost (§3.2.1, §3.6):
  // the epoch restarts and the announcements are sent again.
  void restart(Instant now);
  // An announcement (external address response) to multicast now, if one is due.
  std::optional<std::vector<std::uint8_t>> announcement(Instant now);
  Instant poll_at() const { return next_announce_; }
  // Seconds since the start of the epoch.
  std::uint32_t epoch(Instant now) const;
  const NatPmpCounters& counters() const { return counters_; }

 private:
  NatEngine& engine_;
  Instant epoch_start_;
  Instant next_announce_;
  Duration announce_gap_ = std::chrono::milliseconds(250);
  int announced_ = 0;
  NatPmpCounters counters_;
};

}  // namespace synack::nat
