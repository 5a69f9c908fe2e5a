#pragma once
// Exact packets for the NAT tests: built with the wire layer's emitters, so
// every checksum in them is computed from scratch, never incrementally.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"
#include "wire/udp.hpp"

namespace synack::nat::testing {

using Bytes = std::vector<std::uint8_t>;
using wire::Ipv4Address;

inline Bytes ip_packet(Ipv4Address src, Ipv4Address dst, wire::IpProtocol proto,
                       std::span<const std::uint8_t> payload, std::uint8_t ttl = 64,
                       std::uint16_t ident = 0x1234) {
  wire::Ipv4Repr ip{src,   dst,  static_cast<std::uint8_t>(proto),          ttl,
                    ident, true, static_cast<std::uint16_t>(payload.size())};
  Bytes p(ip.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), p.begin() + 20);
  ip.emit(p);
  return p;
}

inline Bytes tcp_packet(Ipv4Address src, std::uint16_t sport, Ipv4Address dst, std::uint16_t dport,
                        std::uint8_t flags, std::uint32_t seq = 1000, std::uint32_t ack = 0,
                        std::span<const std::uint8_t> payload = {}, std::uint8_t ttl = 64) {
  wire::TcpRepr t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = SeqNum(seq);
  t.ack = SeqNum(ack);
  t.flags = flags;
  t.window = 64240;
  t.payload = payload;
  Bytes seg(t.total_len());
  t.emit(seg, src, dst);
  return ip_packet(src, dst, wire::IpProtocol::Tcp, seg, ttl);
}

inline Bytes udp_packet(Ipv4Address src, std::uint16_t sport, Ipv4Address dst, std::uint16_t dport,
                        std::span<const std::uint8_t> payload = {}, std::uint8_t ttl = 64) {
  wire::UdpRepr d;
  d.src_port = sport;
  d.dst_port = dport;
  d.payload = payload;
  Bytes dg(d.total_len());
  d.emit(dg, src, dst);
  return ip_packet(src, dst, wire::IpProtocol::Udp, dg, ttl);
}

inline Bytes echo_packet(Ipv4Address src, Ipv4Address dst, bool request, std::uint16_t id,
                         std::uint16_t seq, std::uint8_t ttl = 64) {
  static const std::uint8_t kData[] = {1, 2, 3, 4, 5, 6, 7, 8};
  wire::IcmpRepr i;
  i.type = request ? wire::IcmpType::EchoRequest : wire::IcmpType::EchoReply;
  i.ident = id;
  i.seq_no = seq;
  i.data = kData;
  Bytes m(i.total_len());
  i.emit(m);
  return ip_packet(src, dst, wire::IpProtocol::Icmp, m, ttl);
}

// An ICMP error of `type`/`code` from `src` to `dst` quoting the first 28
// bytes of `offending` (or `quote_len`).
inline Bytes icmp_error(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code,
                        std::span<const std::uint8_t> offending, std::size_t quote_len = 28,
                        std::uint8_t ttl = 64) {
  Bytes m(8 + quote_len);
  m[0] = type;
  m[1] = code;
  std::copy(offending.begin(), offending.begin() + quote_len, m.begin() + 8);
  std::uint16_t cs = wire::internet_checksum(m);
  m[2] = std::uint8_t(cs >> 8);
  m[3] = std::uint8_t(cs);
  return ip_packet(src, dst, wire::IpProtocol::Icmp, m, ttl);
}

// `p` with its TTL lowered by one (header checksum recomputed from scratch).
inline Bytes with_ttl(Bytes p, std::uint8_t ttl) {
  p[8] = ttl;
  p[10] = p[11] = 0;
  std::uint16_t cs = wire::internet_checksum(std::span(p).first(20));
  p[10] = std::uint8_t(cs >> 8);
  p[11] = std::uint8_t(cs);
  return p;
}

// `p` with DF cleared (header checksum recomputed from scratch), so that a
// router may fragment it.
inline Bytes without_df(Bytes p) {
  p[6] = static_cast<std::uint8_t>(p[6] & ~0x40);
  std::uint8_t ttl = p[8];
  return with_ttl(std::move(p), ttl);
}

// Fragment `p` by hand (RFC 791 §3.2): `sizes` are the data bytes of each
// fragment but the last (multiples of 8); the last takes the rest.
inline std::vector<Bytes> split(const Bytes& p, std::initializer_list<std::size_t> sizes) {
  std::vector<Bytes> out;
  std::size_t data = p.size() - 20, pos = 0;
  auto one = [&](std::size_t n, bool more) {
    Bytes f(p.begin(), p.begin() + 20);
    f.insert(f.end(), p.begin() + 20 + static_cast<std::ptrdiff_t>(pos),
             p.begin() + 20 + static_cast<std::ptrdiff_t>(pos + n));
    f[2] = std::uint8_t(f.size() >> 8);
    f[3] = std::uint8_t(f.size());
    std::uint16_t ff =
        static_cast<std::uint16_t>((p[6] & 0x40) << 8 | (more ? 0x2000 : 0) | (pos / 8));
    f[6] = std::uint8_t(ff >> 8);
    f[7] = std::uint8_t(ff);
    out.push_back(with_ttl(std::move(f), p[8]));
    pos += n;
  };
  for (std::size_t n : sizes)
    one(n, true);
  one(data - pos, false);
  return out;
}

}  // namespace synack::nat::testing
