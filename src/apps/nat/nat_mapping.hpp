#pragma once
// Endpoint-independent mappings (RFC 4787 REQ-1, RFC 5382 REQ-1): one
// external port per inside (protocol, address, port), whatever remote it
// talks to, reused by every flow from that endpoint. A mapping lives while
// flows use it, or while a NAT-PMP lease (RFC 6886 §3.3) keeps it.
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "apps/nat/flow_tuple.hpp"
#include "apps/nat/port_allocator.hpp"
#include "core/time.hpp"

namespace synack::nat {

struct NatMapping {
  Protocol proto = Protocol::Udp;
  Endpoint inside;
  std::uint16_t external_port = 0;
  std::uint32_t flows = 0;  // conntrack entries using it
  // A NAT-PMP mapping: kept, and open to any remote, until then.
  std::optional<Instant> lease_end;
  // RFC 4787 REQ-9 with address-and-port-dependent filtering: the external
  // ports of this same NAT this endpoint sent to (hairpinned packets that
  // were dropped because the other side's filter did not admit them yet),
  // so that the other side's packets get in — hole punching between two
  // hosts behind the NAT (RFC 4787 §6). The most recent few only.
  std::vector<std::uint16_t> hairpin_peers;
  static constexpr std::size_t kMaxHairpinPeers = 16;
  void remember_hairpin_peer(std::uint16_t external_port);
  bool sent_to_hairpin_peer(std::uint16_t external_port) const;
};

class NatMappingTable {
 public:
  explicit NatMappingTable(PortAllocator& ports) : ports_(ports) {}

  NatMapping* find_inside(Protocol p, Endpoint inside);
  NatMapping* find_external(Protocol p, std::uint16_t external_port);
  // The mapping of `inside`, made if missing with an external port from the
  // allocator (`wanted` first; 0 means the inside port). Null when no port
  // is left.
  NatMapping* obtain(Protocol p, Endpoint inside, std::uint16_t wanted = 0);
  // A flow stopped using `m`; removes it (freeing its port) when unused.
  void release_flow(NatMapping& m, Instant now);
  // Removes `m` if no flow uses it and no lease holds it.
  void remove_if_unused(NatMapping& m, Instant now);
  // Ends leases that ran out, removing the mappings no flow uses.
  void expire_leases(Instant now);
  // Removes every mapping (leases too), freeing their ports.
  void clear();
  // The earliest lease end, or kNever.
  Instant next_lease_end() const;
  std::size_t size() const { return by_inside_.size(); }
  void for_each(const std::function<void(const NatMapping&)>& fn) const;

 private:
  static std::uint64_t inside_key(Protocol p, Endpoint e) {
    return (std::uint64_t(static_cast<std::uint8_t>(p)) << 48) |
           (std::uint64_t(e.addr.to_u32()) << 16) | e.port;
  }
  static std::uint32_t external_key(Protocol p, std::uint16_t port) {
    return (std::uint32_t(static_cast<std::uint8_t>(p)) << 16) | port;
  }
  void erase(NatMapping& m);

  PortAllocator& ports_;
  std::unordered_map<std::uint64_t, NatMapping> by_inside_;
  std::unordered_map<std::uint32_t, std::uint64_t> by_external_;
};

}  // namespace synack::nat
