#pragma once
// The NAT's decisions, sans-IO: for each packet arriving on the inside or the
// outside link, whether to translate and forward it (and to what tuple, on
// which link), deliver it to the router itself, or drop it. Source NAT
// (masquerade) for the inside network with endpoint-independent mapping
// (RFC 4787 REQ-1, RFC 5382 REQ-1) and a choice of filtering (REQ-8 /
// REQ-3); destination NAT from port forwards; hairpinning (RFC 4787 REQ-9,
// RFC 5382 REQ-8: the inside server sees the outside address as the
// source); ICMP echo by identifier and ICMP errors with their quoted packet
// (RFC 5508); connection tracking that follows TCP (tcp_conntrack.hpp).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "apps/nat/conntrack_table.hpp"
#include "apps/nat/flow_tuple.hpp"
#include "apps/nat/nat_mapping.hpp"
#include "apps/nat/packet_rewriter.hpp"
#include "apps/nat/port_allocator.hpp"
#include "apps/nat/port_forward.hpp"
#include "apps/nat/tcp_conntrack.hpp"
#include "core/time.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::nat {

// RFC 4787 §5 / RFC 5382 §4.3: who may send in through a mapping.
enum class Filtering : std::uint8_t {
  EndpointIndependent,      // anyone, once the mapping exists
  AddressAndPortDependent,  // only remotes the inside endpoint sent to (Linux's behaviour)
};

struct NatConfig {
  wire::Ipv4Cidr outside{wire::Ipv4Address(203, 0, 113, 2), 24};  // the router's public side
  wire::Ipv4Cidr inside{wire::Ipv4Address(10, 0, 1, 1), 24};      // the home network
  std::vector<PortForward> forwards;
  std::size_t conntrack_max = 65536;
  Filtering filtering = Filtering::AddressAndPortDependent;
  TcpTimeouts tcp;
  // RFC 4787 REQ-5: at least 2 min, 5 min recommended.
  Duration udp_timeout = std::chrono::minutes(5);
  // RFC 5508 REQ-1: an ICMP query mapping lives at least 60 s.
  Duration icmp_timeout = std::chrono::seconds(60);
  std::uint64_t seed = 1;  // the port randomizer's
  // Outside ports (TCP and UDP) the router's own sockets use (the outside
  // stack's ephemeral range: the DDNS updater's): never handed to mappings,
  // and packets to them without a flow go to the router itself.
  std::optional<std::pair<std::uint16_t, std::uint16_t>> local_ports;
};

enum class DropReason : std::uint8_t {
  None,
  Unsolicited,  // from outside, no flow, forward or open mapping (RFC 5382 REQ-4: silent)
  TableFull,    // --conntrack-max reached
  NoPorts,      // every external port in use
  Invalid,      // a TCP packet that cannot start a flow, a tuple clash
  Fragment,     // fragments are not reassembled
  Unsupported,  // a protocol the NAT does not translate
  Malformed,
  NotOurs,     // an address the router neither owns nor routes
  Spoofed,     // from inside with a source outside the inside network
  NoAddress,   // to the outside while the outside link has no address (no DHCP lease)
  TtlExpired,  // an ICMP error whose TTL would reach 0: discarded, never answered
  Martian,     // an invalid source or destination, or a directed broadcast (RFC 1812 §5.3.7)
};
const char* to_string(DropReason r);

struct NatCounters {
  std::uint64_t outbound = 0;  // translated inside -> outside
  std::uint64_t inbound = 0;   // translated outside -> inside
  std::uint64_t hairpinned = 0;
  std::uint64_t icmp_errors_translated = 0;
  std::uint64_t local = 0;  // handed to the router itself
  std::uint64_t flows_created = 0;
  std::uint64_t flows_expired = 0;
  std::uint64_t early_drops = 0;         // not-yet-established flows removed for new ones
  std::uint64_t rsts_out_of_window = 0;  // forwarded, but not closing the entry (RFC 5961)
  std::uint64_t dropped[13] = {};        // by DropReason
  std::uint64_t dropped_total() const;
};

struct Translation {
  // TtlExceeded: the router answers with ICMP time exceeded (RFC 1812 §5.3.1).
  // Reset: an inside host's TCP segment to a closed port of the router's
  // outside address; the router answers with a RST (RFC 9293 §3.10.7.1).
  enum class Action : std::uint8_t {
    Forward,
    Local,
    Drop,
    TtlExceeded,
    Reset
  } action = Action::Drop;
  Side egress = Side::Outside;  // Forward: the link to send on
  PacketInfo info;              // what inspect_packet() found
  FlowTuple to;                 // Forward: the tuple to rewrite to
  DropReason reason = DropReason::None;
};

// One NAT-PMP request's outcome (RFC 6886 §3.3).
struct PmpMapResult {
  enum class Code : std::uint8_t {
    Success = 0,
    NotAuthorized = 2,
    OutOfResources = 4
  } code = Code::Success;
  std::uint16_t external_port = 0;
  std::uint32_t lifetime = 0;
};

class NatEngine {
 public:
  explicit NatEngine(const NatConfig& cfg);

  // Decides what to do with `packet` (a whole IPv4 packet with a checked
  // header) that arrived on `from`, updating the conntrack table.
  Translation translate(Instant now, Side from, std::span<const std::uint8_t> packet);
  // Applies a Forward translation to a copy of the packet (TTL included).
  static void apply(const Translation& t, std::span<std::uint8_t> packet);

  // NAT-PMP (RFC 6886 §3.3): a mapping of `inside` (proto udp or tcp) for
  // `lifetime` seconds, the external port `suggested` if free; lifetime 0
  // removes it (port 0 with lifetime 0: all of the host's for `proto`).
  PmpMapResult pmp_map(Instant now, Protocol proto, Endpoint inside, std::uint16_t suggested,
                       std::uint32_t lifetime);

  // The outside address changed (a DHCP lease changed, was NAKed or ran
  // out; 0.0.0.0/32 while there is none): every flow and mapping, NAT-PMP
  // leases included, used the old address and is dropped. Returns how many
  // flows were dropped (the mappings go with them). Masquerade uses `addr`
  // from now on; while it is 0.0.0.0 outbound packets are dropped
  // (DropReason::NoAddress).
  std::size_t set_outside(const wire::Ipv4Cidr& addr);
  bool has_outside_address() const { return cfg_.outside.address != wire::Ipv4Address(); }

  // Removes expired flows and leases. translate() calls it too.
  void expire(Instant now);
  // When expire() next has work (an estimate: never later than needed).
  Instant poll_at() const;

  const NatConfig& config() const { return cfg_; }
  const NatCounters& counters() const { return counters_; }
  const ConntrackTable& conntrack() const { return table_; }
  const NatMappingTable& mappings() const { return mappings_; }
  const PortAllocator& ports() const { return ports_; }

  // One line per flow (issue 14's order): protocol, inside, outside, remote,
  // state, timeout left.
  std::string format_table(Instant now) const;
  std::string format_counters() const;

 private:
  Translation from_inside(Instant now, const PacketInfo& info);
  Translation from_outside(Instant now, const PacketInfo& info);
  Translation existing(Instant now, ConntrackTable::Match m, const PacketInfo& info, Side from);
  Translation new_flow(Instant now, const PacketInfo& info, Side from, FlowTuple to,
                       NatMapping* mapping, NatMapping* target_mapping = nullptr);
  // The external port an inside endpoint's flows leave from: a forward's
  // external port when the endpoint is that forward's target (RFC 4787
  // REQ-1: one external endpoint whatever the remote; no mapping then), else
  // its masquerade mapping's (made if missing). nullopt: no port left.
  struct External {
    std::uint16_t port = 0;
    NatMapping* mapping = nullptr;
  };
  std::optional<External> external_of(Protocol p, Endpoint inside);
  // The external port of the forward whose target `inside` is, if any.
  std::optional<std::uint16_t> forward_port_of(Protocol p, Endpoint inside) const;
  // Where an inbound flow for external `port` goes: a forward, or a mapping
  // that admits `remote` (from inside, hairpinning: the sender's external
  // endpoint).
  struct InboundTarget {
    Endpoint to;
    NatMapping* mapping = nullptr;  // when a mapping (not a forward) admits it
  };
  std::optional<InboundTarget> inbound_target(Protocol p, std::uint16_t port, Endpoint remote);
  void on_packet(ConntrackEntry& e, Direction dir, const PacketInfo& info, Instant now);
  Duration idle_timeout(const ConntrackEntry& e) const;
  Side side_of(wire::Ipv4Address a) const {
    return cfg_.inside.contains(a) ? Side::Inside : Side::Outside;
  }
  Translation drop(const PacketInfo& info, DropReason r);
  void release(ConntrackEntry& e, Instant now);

  NatConfig cfg_;
  PortAllocator ports_;
  NatMappingTable mappings_;
  ConntrackTable table_;
  NatCounters counters_;
  Instant next_lease_check_ = kNever;  // the earliest NAT-PMP lease end (or earlier)
};

}  // namespace synack::nat
