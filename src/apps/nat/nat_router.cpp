#include "apps/nat/nat_router.hpp"

#include <algorithm>

namespace synack::nat {

NatRouter::NatRouter(const NatConfig& cfg, iface::Interface& inside, iface::Interface& outside)
    : engine_(cfg),
      inside_(inside),
      outside_(outside),
      inside_hook_(*this, Side::Inside),
      outside_hook_(*this, Side::Outside) {
  inside_.set_packet_hook(&inside_hook_);
  outside_.set_packet_hook(&outside_hook_);
}

NatRouter::~NatRouter() {
  inside_.set_packet_hook(nullptr);
  outside_.set_packet_hook(nullptr);
}

bool NatRouter::send_error(Side to, IcmpErrorKind kind, std::span<const std::uint8_t> packet) {
  if (!may_send_icmp_error(packet)) return false;
  iface::Interface& ifc = link(to);
  std::span<std::uint8_t> out = ifc.queue_packet(icmp_error_len(packet));
  build_icmp_error(out, ifc.address(), kind, packet);
  return true;
}

iface::HookVerdict NatRouter::on_packet(Instant now, Side from,
                                        std::span<const std::uint8_t> packet) {
  Translation t = engine_.translate(now, from, packet);
  switch (t.action) {
    case Translation::Action::Local:
      return iface::HookVerdict::Pass;
    case Translation::Action::Drop:
      return iface::HookVerdict::Taken;
    case Translation::Action::TtlExceeded:
      if (send_error(from, IcmpErrorKind::time_exceeded(), packet)) ++counters_.time_exceeded_sent;
      return iface::HookVerdict::Taken;
    case Translation::Action::Forward:
      break;
  }
  iface::Interface& out = link(t.egress);
  std::size_t mtu = out.config().mtu;
  if (packet.size() > mtu) {
    // RFC 1191 §4: tell the sender the next hop's MTU; synack does not
    // fragment, so without DF the packet is dropped.
    if (t.info.dont_frag) {
      auto kind = IcmpErrorKind::fragmentation_needed(static_cast<std::uint16_t>(mtu));
      if (send_error(from, kind, packet)) ++counters_.frag_needed_sent;
    } else {
      ++counters_.too_big_dropped;
    }
    return iface::HookVerdict::Taken;
  }
  std::span<std::uint8_t> buf = out.queue_packet(packet.size());
  std::copy(packet.begin(), packet.end(), buf.begin());
  NatEngine::apply(t, buf);
  ++counters_.forwarded;
  return iface::HookVerdict::Taken;
}

}  // namespace synack::nat
