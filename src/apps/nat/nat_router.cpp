#include "apps/nat/nat_router.hpp"

#include <algorithm>

#include "apps/nat/ipv4_fragmenter.hpp"

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::nat {

NatRouter::NatRouter(const NatConfig& cfg, iface::Interface& inside, iface::Interface& outside,
                     ReassemblyLimits reassembly)
    : engine_(cfg),
      inside_(inside),
      outside_(outside),
      inside_hook_(*this, Side::Inside),
      outside_hook_(*this, Side::Outside),
      reassembler_(reassembly) {
  inside_.set_packet_hook(&inside_hook_);
  outside_.set_packet_hook(&outside_hook_);
}

NatRouter::~NatRouter() {
  inside_.set_packet_hook(nullptr);
  outside_.set_packet_hook(nullptr);
}

bool NatRouter::send_error(Instant now, Side to, IcmpErrorKind kind,
                           std::span<const std::uint8_t> packet) {
  if (!may_send_icmp_error(packet)) return false;
  // Fragmentation needed is never limited (as in Linux's icmpv4_mask_allow):
  // path MTU discovery (RFC 1191) stalls without it.
  bool frag_needed = kind.type == 3 && kind.code == 4;
  if (!frag_needed && !icmp_limiter_.allow(now, wire::Ipv4Address(wire::load_be32(packet, 12)))) {
    ++counters_.icmp_rate_limited;
    return false;
  }
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
  // A reassembled request may make a reply over the MTU: it is built aside
  // and fragmented then (RFC 1812 §5.2.6 applies to the router's own too).
  std::size_t mtu = inside_.config().mtu;
  bool big = 20 + request.size() > mtu;
  if (big) scratch_.resize(20 + request.size());
  std::span<std::uint8_t> out =
      big ? std::span<std::uint8_t>(scratch_) : inside_.queue_packet(20 + request.size());
  std::copy(request.begin(), request.end(), out.begin() + 20);
  std::span<std::uint8_t> reply = out.subspan(20);
  reply[0] = 0;  // echo reply, the rest as received (RFC 792)
  reply[2] = reply[3] = 0;
  wire::store_be16(reply, 2, wire::internet_checksum(reply));
  wire::Ipv4Repr ip{engine_.config().outside.address,
                    wire::Ipv4Address(wire::load_be32(packet, 12)), 1, 64,
                    // RFC 791: an identification of its own per datagram, so
                    // fragments of successive replies are never mixed.
                    next_ident_++, false, static_cast<std::uint16_t>(reply.size())};
  ip.emit(out);
  if (big &&
      fragment_ipv4(out, mtu, [&](std::size_t len) { return inside_.queue_packet(len); }) == 0)
    return true;  // an MTU below 68: nothing can be sent
  ++counters_.echo_replies;
  return true;
}

void NatRouter::send_reset(const PacketInfo& info) {
  // RFC 9293 §3.10.7.1 (CLOSED): with ACK, <SEQ=SEG.ACK><CTL=RST>; without,
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  constexpr std::uint8_t kAck = 0x10, kRst = 0x04;
  wire::TcpRepr rst;
  rst.src_port = info.tuple.dst_port;
  rst.dst_port = info.tuple.src_port;
  if (info.tcp_flags & kAck) {
    rst.seq = SeqNum(info.ack);
    rst.flags = kRst;
  } else {
    rst.seq = SeqNum(0);
    rst.ack = SeqNum(info.seq + info.seg_len);
    rst.flags = kRst | kAck;
  }
  wire::Ipv4Repr ip{
      info.tuple.dst, info.tuple.src, 6, 64, 0, true, static_cast<std::uint16_t>(rst.total_len())};
  std::span<std::uint8_t> out = inside_.queue_packet(ip.header_len() + rst.total_len());
  rst.emit(out.subspan(ip.header_len()), info.tuple.dst, info.tuple.src);
  ip.emit(out);
  ++counters_.resets_sent;
}

iface::HookVerdict NatRouter::on_packet(Instant now, Side from,
                                        std::span<const std::uint8_t> packet) {
  if (reinjecting_) return iface::HookVerdict::Pass;
  if (!is_ipv4_fragment(packet)) return on_datagram(now, from, packet, false, 0);
  // RFC 4787 REQ-14: fragments in any order; the datagram is translated
  // once all of them are here.
  auto d = reassembler_.add(now, packet);
  if (!d) return iface::HookVerdict::Taken;
  return on_datagram(now, from, d->packet, true, d->largest_fragment);
}

iface::HookVerdict NatRouter::on_datagram(Instant now, Side from,
                                          std::span<const std::uint8_t> packet, bool reassembled,
                                          std::size_t largest_fragment) {
  Translation t = engine_.translate(now, from, packet);
  switch (t.action) {
    case Translation::Action::Local:
      if (from == Side::Inside && answer_echo_to_outside(packet)) return iface::HookVerdict::Taken;
      if (reassembled) {
        // The fragments were taken; the interface gets the whole datagram
        // if it fits its link (it does not fragment what it answers).
        if (packet.size() > link(from).config().mtu) {
          ++counters_.too_big_dropped;
          return iface::HookVerdict::Taken;
        }
        reinjecting_ = true;
        link(from).receive_packet(now, packet);
        reinjecting_ = false;
        return iface::HookVerdict::Taken;
      }
      return iface::HookVerdict::Pass;
    case Translation::Action::Drop:
      return iface::HookVerdict::Taken;
    case Translation::Action::Reset:
      send_reset(t.info);
      return iface::HookVerdict::Taken;
    case Translation::Action::TtlExceeded:
      if (send_error(now, from, IcmpErrorKind::time_exceeded(), packet))
        ++counters_.time_exceeded_sent;
      return iface::HookVerdict::Taken;
    case Translation::Action::Forward:
      break;
  }
  iface::Interface& out = link(t.egress);
  std::size_t link_mtu = out.config().mtu;
  // A reassembled datagram leaves in fragments no bigger than it came in
  // (as Linux does), so the sender's own sizing is kept on the next hop.
  std::size_t mtu = reassembled ? std::min(link_mtu, largest_fragment) : link_mtu;
  if (packet.size() > mtu) {
    // RFC 1191 §4: with DF, tell the sender the next hop's MTU.
    std::size_t sent_size = reassembled ? largest_fragment : packet.size();
    if (t.info.dont_frag && sent_size > link_mtu) {
      auto kind = IcmpErrorKind::fragmentation_needed(static_cast<std::uint16_t>(link_mtu));
      if (send_error(now, from, kind, packet)) ++counters_.frag_needed_sent;
      return iface::HookVerdict::Taken;
    }
    // RFC 1812 §5.2.6: otherwise fragment it, translated first.
    scratch_.assign(packet.begin(), packet.end());
    NatEngine::apply(t, scratch_);
    std::size_t n =
        fragment_ipv4(scratch_, mtu, [&](std::size_t len) { return out.queue_packet(len); });
    if (n == 0) {
      ++counters_.too_big_dropped;
    } else {
      ++counters_.fragmented;
      counters_.fragments_sent += n;
      ++counters_.forwarded;
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
