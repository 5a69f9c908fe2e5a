#pragma once
// A home router on two synack interfaces: the packet hook on each hands
// every received packet to the NatEngine and carries out its decision —
// translate and queue it on the other interface (or back out the same one,
// hairpinning), leave it to the interface (the router's own services: ping,
// NAT-PMP), or drop it — plus the forwarding duties of RFC 1812: TTL, time
// exceeded, and fragmentation needed for packets too big with DF set
// (synack does not fragment; such packets without DF are dropped and counted).
#include <cstdint>
#include <span>

#include "apps/nat/icmp_error_builder.hpp"
#include "apps/nat/nat_engine.hpp"
#include "iface/interface.hpp"
#include "iface/packet_hook.hpp"

namespace synack::nat {

struct RouterCounters {
  std::uint64_t forwarded = 0;
  std::uint64_t time_exceeded_sent = 0;
  std::uint64_t frag_needed_sent = 0;
  std::uint64_t too_big_dropped = 0;  // over the egress MTU without DF
  std::uint64_t echo_replies = 0;     // to inside hosts pinging the outside address
};

class NatRouter {
 public:
  // Installs a packet hook on both interfaces (removed by the destructor).
  NatRouter(const NatConfig& cfg, iface::Interface& inside, iface::Interface& outside);
  ~NatRouter();
  NatRouter(const NatRouter&) = delete;
  NatRouter& operator=(const NatRouter&) = delete;

  NatEngine& engine() { return engine_; }
  const NatEngine& engine() const { return engine_; }
  const RouterCounters& counters() const { return counters_; }
  // Expires flows; call it when poll_at() is due.
  void on_timers(Instant now) { engine_.expire(now); }
  Instant poll_at() const { return engine_.poll_at(); }

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
  bool answer_echo_to_outside(std::span<const std::uint8_t> packet);
  // An ICMP error about `packet` back out of the link it came in on.
  bool send_error(Side to, IcmpErrorKind kind, std::span<const std::uint8_t> packet);

  NatEngine engine_;
  iface::Interface& inside_;
  iface::Interface& outside_;
  Hook inside_hook_;
  Hook outside_hook_;
  RouterCounters counters_;
};

}  // namespace synack::nat
