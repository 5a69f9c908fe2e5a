#include "apps/nat/packet_rewriter.hpp"

#include <algorithm>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace synack::nat {
namespace {

using wire::load_be16;
using wire::load_be32;
using wire::store_be16;
using wire::store_be32;

constexpr std::uint8_t kIcmpEchoReply = 0;
constexpr std::uint8_t kIcmpUnreachable = 3;
constexpr std::uint8_t kIcmpSourceQuench = 4;
constexpr std::uint8_t kIcmpEchoRequest = 8;
constexpr std::uint8_t kIcmpTimeExceeded = 11;
constexpr std::uint8_t kIcmpParameterProblem = 12;

bool is_icmp_error(std::uint8_t type) {
  return type == kIcmpUnreachable || type == kIcmpSourceQuench || type == kIcmpTimeExceeded ||
         type == kIcmpParameterProblem;
}

std::size_t ip_header_len(std::span<const std::uint8_t> p) {
  return std::size_t(p[0] & 0x0f) * 4;
}

bool is_fragment(std::span<const std::uint8_t> ip) {
  return (load_be16(ip, 6) & 0x3fff) != 0;  // MF set or offset != 0
}

// Offset of the transport checksum within the transport header, or 0 if the
// protocol has none we update through the pseudo-header.
std::size_t pseudo_checksum_offset(Protocol p) {
  if (p == Protocol::Tcp) return 16;
  if (p == Protocol::Udp) return 6;
  return 0;
}

// Sets a 32-bit field and folds the change into up to two checksums.
void set32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v, std::uint8_t* c1,
           std::uint8_t* c2) {
  std::uint32_t old = load_be32(b, at);
  if (old == v) return;
  store_be32(b, at, v);
  for (std::uint8_t* c : {c1, c2}) {
    if (!c) continue;
    std::uint16_t cs = std::uint16_t((c[0] << 8) | c[1]);
    cs = wire::checksum_update32(cs, old, v);
    c[0] = std::uint8_t(cs >> 8);
    c[1] = std::uint8_t(cs);
  }
}

void set16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v, std::uint8_t* c) {
  std::uint16_t old = load_be16(b, at);
  if (old == v) return;
  store_be16(b, at, v);
  if (!c) return;
  std::uint16_t cs = std::uint16_t((c[0] << 8) | c[1]);
  cs = wire::checksum_update16(cs, old, v);
  c[0] = std::uint8_t(cs >> 8);
  c[1] = std::uint8_t(cs);
}

// The transport checksum of a UDP header is optional: 0 means none, and a
// computed 0 is sent as 0xffff (RFC 768).
void fix_udp_zero(std::uint8_t* c) {
  if (c[0] == 0 && c[1] == 0) c[0] = c[1] = 0xff;
}

// The window scale option of a SYN's header, or -1 (RFC 7323 §2.2; a shift
// above 14 is used as 14).
std::int8_t syn_window_scale(std::span<const std::uint8_t> tcp_header) {
  for (std::size_t i = 20; i < tcp_header.size();) {
    std::uint8_t kind = tcp_header[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= tcp_header.size() || tcp_header[i + 1] < 2) break;
    std::size_t len = tcp_header[i + 1];
    if (i + len > tcp_header.size()) break;
    if (kind == 3 && len == 3)
      return static_cast<std::int8_t>(std::min<int>(tcp_header[i + 2], 14));
    i += len;
  }
  return -1;
}

struct Ports {
  std::uint16_t src = 0;
  std::uint16_t dst = 0;
};

// Reads ports (or the echo identifier) from a transport header of which at
// least 8 bytes are present. nullopt for ICMP types other than echo.
std::optional<Ports> read_ports(Protocol p, std::span<const std::uint8_t> t) {
  if (p == Protocol::Icmp) {
    if (t[0] == kIcmpEchoRequest) return Ports{load_be16(t, 4), 0};
    if (t[0] == kIcmpEchoReply) return Ports{0, load_be16(t, 4)};
    return std::nullopt;
  }
  return Ports{load_be16(t, 0), load_be16(t, 2)};
}

// Rewrites addresses and ports of an IPv4 packet (possibly a quoted one,
// whose transport part may be cut short: `avail` bytes of it are present).
void rewrite_header(std::span<std::uint8_t> ip, std::size_t avail, Protocol proto,
                    const FlowTuple& to) {
  std::size_t hl = ip_header_len(ip);
  std::span<std::uint8_t> t = ip.subspan(hl, avail);
  std::uint8_t* ipc = &ip[10];
  std::uint8_t* tc = nullptr;
  std::size_t off = pseudo_checksum_offset(proto);
  if (off && avail >= off + 2) tc = &t[off];
  bool udp_no_checksum = proto == Protocol::Udp && tc && tc[0] == 0 && tc[1] == 0;
  if (udp_no_checksum) tc = nullptr;
  set32(ip, 12, to.src.to_u32(), ipc, tc);
  set32(ip, 16, to.dst.to_u32(), ipc, tc);
  if (proto == Protocol::Icmp) {
    // Echo: the identifier is covered by the ICMP checksum only.
    std::uint8_t* ic = avail >= 4 ? &t[2] : nullptr;
    std::uint16_t id = t[0] == kIcmpEchoRequest ? to.src_port : to.dst_port;
    set16(t, 4, id, ic);
  } else {
    set16(t, 0, to.src_port, tc);
    set16(t, 2, to.dst_port, tc);
  }
  if (proto == Protocol::Udp && tc) fix_udp_zero(tc);
}

}  // namespace

const char* to_string(InspectError e) {
  switch (e) {
    case InspectError::Fragment:
      return "fragment";
    case InspectError::Unsupported:
      return "unsupported";
    case InspectError::Malformed:
      return "malformed";
  }
  return "?";
}

Result<PacketInfo, InspectError> inspect_packet(std::span<const std::uint8_t> packet) {
  if (packet.size() < 20) return InspectError::Malformed;
  std::size_t hl = ip_header_len(packet);
  std::size_t total = load_be16(packet, 2);
  if (hl < 20 || total < hl || total > packet.size()) return InspectError::Malformed;
  if (is_fragment(packet)) return InspectError::Fragment;
  auto proto_byte = packet[9];
  if (proto_byte != 1 && proto_byte != 6 && proto_byte != 17) return InspectError::Unsupported;
  PacketInfo info;
  info.ttl = packet[8];
  info.dont_frag = (packet[6] & 0x40) != 0;
  Protocol proto = static_cast<Protocol>(proto_byte);
  std::span<const std::uint8_t> t = packet.subspan(hl, total - hl);
  wire::Ipv4Address src(load_be32(packet, 12)), dst(load_be32(packet, 16));
  info.outer_src = src;
  info.outer_dst = dst;
  switch (proto) {
    case Protocol::Tcp: {
      if (t.size() < 20 || std::size_t(t[12] >> 4) * 4 < 20 ||
          std::size_t(t[12] >> 4) * 4 > t.size())
        return InspectError::Malformed;
      info.tuple = {proto, src, load_be16(t, 0), dst, load_be16(t, 2)};
      info.tcp_flags = t[13];
      info.seq = load_be32(t, 4);
      info.ack = load_be32(t, 8);
      info.seg_len = static_cast<std::uint32_t>(t.size() - std::size_t(t[12] >> 4) * 4) +
                     ((t[13] & 0x02) ? 1 : 0) + ((t[13] & 0x01) ? 1 : 0);
      info.window = load_be16(t, 14);
      if (t[13] & 0x02) info.wscale = syn_window_scale(t.first(std::size_t(t[12] >> 4) * 4));
      return info;
    }
    case Protocol::Udp:
      if (t.size() < 8) return InspectError::Malformed;
      info.tuple = {proto, src, load_be16(t, 0), dst, load_be16(t, 2)};
      return info;
    case Protocol::Icmp:
      break;
  }
  if (t.size() < 8) return InspectError::Malformed;
  if (wire::internet_checksum(t) != 0) return InspectError::Malformed;
  if (t[0] == kIcmpEchoRequest || t[0] == kIcmpEchoReply) {
    auto ports = read_ports(proto, t);
    info.tuple = {proto, src, ports->src, dst, ports->dst};
    return info;
  }
  if (!is_icmp_error(t[0])) return InspectError::Unsupported;
  // The quoted packet: its header and at least 8 bytes of its payload.
  std::span<const std::uint8_t> q = t.subspan(8);
  if (q.size() < 20 || (q[0] >> 4) != 4) return InspectError::Malformed;
  std::size_t qhl = ip_header_len(q);
  if (qhl < 20 || q.size() < qhl + 8) return InspectError::Malformed;
  std::uint8_t qp = q[9];
  if (qp != 1 && qp != 6 && qp != 17) return InspectError::Unsupported;
  // An error about a non-first fragment quotes no ports.
  if ((load_be16(q, 6) & 0x1fff) != 0) return InspectError::Unsupported;
  Protocol qproto = static_cast<Protocol>(qp);
  auto ports = read_ports(qproto, q.subspan(qhl));
  if (!ports) return InspectError::Unsupported;  // an error about an error is never sent
  FlowTuple quoted{qproto, wire::Ipv4Address(load_be32(q, 12)), ports->src,
                   wire::Ipv4Address(load_be32(q, 16)), ports->dst};
  info.tuple = quoted.reversed();
  info.icmp_error = true;
  return info;
}

void rewrite_packet(std::span<std::uint8_t> packet, const PacketInfo& info, const FlowTuple& to) {
  std::size_t hl = ip_header_len(packet);
  std::size_t total = load_be16(packet, 2);
  if (!info.icmp_error) {
    rewrite_header(packet.first(total), total - hl, info.tuple.proto, to);
    return;
  }
  std::span<std::uint8_t> icmp = packet.subspan(hl, total - hl);
  std::span<std::uint8_t> q = icmp.subspan(8);
  std::size_t qhl = ip_header_len(q);
  // The quoted packet as the receiving host sent it: `to` reversed.
  rewrite_header(q, q.size() - qhl, info.tuple.proto, to.reversed());
  // The outer header: to the host; from the flow's remote endpoint as that
  // host knows it if the remote itself reported the error.
  FlowTuple outer = {Protocol::Icmp, wire::Ipv4Address(load_be32(packet, 12)), 0, to.dst, 0};
  if (outer.src == info.tuple.src) outer.src = to.src;
  set32(packet, 12, outer.src.to_u32(), &packet[10], nullptr);
  set32(packet, 16, outer.dst.to_u32(), &packet[10], nullptr);
  // Many fields of the message changed: its checksum is computed afresh
  // (inspect_packet() verified the old one).
  store_be16(icmp, 2, 0);
  store_be16(icmp, 2, wire::internet_checksum(icmp));
}

void decrement_ttl(std::span<std::uint8_t> packet) {
  std::uint16_t old = load_be16(packet, 8);
  packet[8] = static_cast<std::uint8_t>(packet[8] - 1);
  std::uint16_t cs = wire::checksum_update16(load_be16(packet, 10), old, load_be16(packet, 8));
  store_be16(packet, 10, cs);
}

bool checksums_valid(std::span<const std::uint8_t> packet) {
  if (packet.size() < 20) return false;
  std::size_t hl = ip_header_len(packet);
  std::size_t total = load_be16(packet, 2);
  if (hl < 20 || total < hl || total > packet.size()) return false;
  if (wire::internet_checksum(packet.first(hl)) != 0) return false;
  std::span<const std::uint8_t> t = packet.subspan(hl, total - hl);
  wire::Ipv4Address src(load_be32(packet, 12)), dst(load_be32(packet, 16));
  std::uint8_t proto = packet[9];
  if (proto == 1) return wire::internet_checksum(t) == 0;
  if (proto != 6 && proto != 17) return true;
  if (proto == 17 && t.size() >= 8 && load_be16(t, 6) == 0) return true;
  wire::PseudoHeader ph{src, dst, proto, static_cast<std::uint16_t>(t.size())};
  std::uint32_t sum = wire::checksum_accumulate(wire::pseudo_header_sum(ph), t);
  return wire::checksum_fold(sum) == 0xffff;
}

}  // namespace synack::nat
