#pragma once
// A home router on two synack interfaces: the packet hook on each hands
// every received packet to the NatEngine and carries out its decision —
// translate and queue it on the other interface (or back out the same one,
// hairpinning), leave it to the interface (the router's own services: ping,
// NAT-PMP), or drop it — plus the forwarding duties of RFC 1812: TTL, time
// exceeded, fragmentation needed for packets too big with DF set, and
// fragmentation of those without (§5.2.6). Fragments are reassembled first
// (fragment_reassembler.hpp explains why) and whole datagrams translated.
#include <cstdint>
#include <span>
#include <vector>

#include "apps/nat/fragment_reassembler.hpp"
#include "apps/nat/icmp_error_builder.hpp"
#include "apps/nat/icmp_rate_limiter.hpp"
#include "apps/nat/nat_engine.hpp"
#include "iface/interface.hpp"
#include "iface/packet_hook.hpp"

namespace synack::nat {

struct RouterCounters {
  std::uint64_t forwarded = 0;
  std::uint64_t time_exceeded_sent = 0;
  std::uint64_t frag_needed_sent = 0;
  std::uint64_t too_big_dropped = 0;  // over the egress MTU, and it could not be fragmented
  std::uint64_t fragmented = 0;       // packets sent on as fragments
  std::uint64_t fragments_sent = 0;
  std::uint64_t echo_replies = 0;       // to inside hosts pinging the outside address
  std::uint64_t icmp_rate_limited = 0;  // errors not sent (RFC 1812 §4.3.2.8)
  std::uint64_t resets_sent = 0;        // to inside hosts, for closed outside ports
};

class NatRouter {
 public:
  // Installs a packet hook on both interfaces (removed by the destructor).
  NatRouter(const NatConfig& cfg, iface::Interface& inside, iface::Interface& outside,
            ReassemblyLimits reassembly = {});
  ~NatRouter();
  NatRouter(const NatRouter&) = delete;
  NatRouter& operator=(const NatRouter&) = delete;

  NatEngine& engine() { return engine_; }
  const NatEngine& engine() const { return engine_; }
  const RouterCounters& counters() const { return counters_; }
  const FragmentReassembler& reassembler() const { return reassembler_; }
  // Expires flows and incomplete datagrams; call it when poll_at() is due.
  void on_timers(Instant now) {
    engine_.expire(now);
    reassembler_.expire(now);
  }
  Instant poll_at() const { return earliest(engine_.poll_at(), reassembler_.poll_at()); }

  iface::HookVerdict on_packet(Instant now, Side from, std::span<const std::uint8_t> packet);

 private:
  class Hook final : public iface::PacketHook {
   public:
    Hook(NatRouter& r, Side side) : router_(r), side_(side) {}
    iface::HookVerdict on_packet(Instant now, iface::Interface&,
                                 std::span<const std::uint8_t> packet) override {
      return router_.on_packet(now, side_, packet);
    }

   private:
    NatRouter& router_;
    Side side_;
  };
  iface::Interface& link(Side s) { return s == Side::Inside ? inside_ : outside_; }
  // A whole (never fragmented, or reassembled) packet.
  iface::HookVerdict on_datagram(Instant now, Side from, std::span<const std::uint8_t> packet,
                                 bool reassembled, std::size_t largest_fragment);
  bool answer_echo_to_outside(std::span<const std::uint8_t> packet);
  // A RST from the outside address for `info`'s TCP segment, to the inside.
  void send_reset(const PacketInfo& info);
  // An ICMP error about `packet` back out of the link it came in on.
  bool send_error(Instant now, Side to, IcmpErrorKind kind, std::span<const std::uint8_t> packet);

  NatEngine engine_;
  iface::Interface& inside_;
  iface::Interface& outside_;
  Hook inside_hook_;
  Hook outside_hook_;
  RouterCounters counters_;
  FragmentReassembler reassembler_;
  IcmpRateLimiter icmp_limiter_;
  std::vector<std::uint8_t> scratch_;  // a translated datagram before fragmenting
  std::uint16_t next_ident_ = 1;       // IP identification of the router's own echo replies
  bool reinjecting_ = false;           // a reassembled datagram handed to the interface
};

}  // namespace synack::nat
