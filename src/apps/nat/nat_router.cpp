#include "apps/nat/nat_router.hpp"

#include <algorithm>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

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

bool NatRouter::answer_echo_to_outside(std::span<const std::uint8_t> packet) {
  // An inside host pinging the outside address: the inside interface only
  // answers for its own, so the router answers for the other (as Linux does
  // for any of its addresses).
  std::size_t hl = std::size_t(packet[0] & 0x0f) * 4;
  if (packet[9] != 1 || packet.size() < hl + 8 || packet[hl] != 8) return false;
  if (wire::Ipv4Address(wire::load_be32(packet, 16)) != engine_.config().outside.address)
    return false;
  std::span<const std::uint8_t> request = packet.subspan(hl);
  std::span<std::uint8_t> out = inside_.queue_packet(20 + request.size());
  std::copy(request.begin(), request.end(), out.begin() + 20);
  std::span<std::uint8_t> reply = out.subspan(20);
  reply[0] = 0;  // echo reply, the rest as received (RFC 792)
  reply[2] = reply[3] = 0;
  wire::store_be16(reply, 2, wire::internet_checksum(reply));
  wire::Ipv4Repr ip{engine_.config().outside.address,
                    wire::Ipv4Address(wire::load_be32(packet, 12)),
                    1,
                    64,
                    0,
                    false,
                    static_cast<std::uint16_t>(reply.size())};
  ip.emit(out);
  ++counters_.echo_replies;
  return true;
}

iface::HookVerdict NatRouter::on_packet(Instant now, Side from,
                                        std::span<const std::uint8_t> packet) {
  Translation t = engine_.translate(now, from, packet);
  switch (t.action) {
    case Translation::Action::Local:
      if (from == Side::Inside && answer_echo_to_outside(packet)) return iface::HookVerdict::Taken;
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
