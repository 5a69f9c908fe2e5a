#include "wire/tcp.hpp"

#include <cstring>

#include "wire/ipv4.hpp"

namespace synack::wire {

std::string flags_to_string(std::uint8_t flags) {
  static constexpr struct {
    std::uint8_t bit;
    const char* name;
  } kNames[] = {{tcp_flags::kSyn, "SYN"}, {tcp_flags::kFin, "FIN"}, {tcp_flags::kRst, "RST"},
                {tcp_flags::kPsh, "PSH"}, {tcp_flags::kAck, "ACK"}, {tcp_flags::kUrg, "URG"},
                {tcp_flags::kEce, "ECE"}, {tcp_flags::kCwr, "CWR"}};
  std::string s;
  for (const auto& n : kNames) {
    if (!(flags & n.bit)) continue;
    if (!s.empty()) s += '|';
    s += n.name;
  }
  return s.empty() ? "-" : s;
}

Result<TcpRepr, WireError> TcpRepr::parse(const TcpView<const std::uint8_t>& view,
                                          const PseudoHeader& ph) {
  std::uint32_t sum = checksum_accumulate(pseudo_header_sum(ph), view.bytes());
  if (checksum_fold(sum) != 0xffff) return WireError::BadChecksum;
  return parse_trusted(view);
}

Result<TcpRepr, WireError> TcpRepr::parse_trusted(const TcpView<const std::uint8_t>& view) {
  auto opts = TcpOptions::parse(view.options());
  if (!opts) return opts.error();
  TcpRepr r;
  r.src_port = view.src_port();
  r.dst_port = view.dst_port();
  r.seq = view.seq();
  r.ack = view.ack();
  r.flags = view.flags();
  r.window = view.window();
  r.urgent = view.urgent();
  r.options = *opts;
  r.payload = view.payload();
  return r;
}

std::size_t TcpRepr::emit_header(std::span<std::uint8_t> out) const {
  std::size_t hlen = header_len();
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be32(out, 4, seq.raw());
  store_be32(out, 8, has(tcp_flags::kAck) ? ack.raw() : 0);
  out[12] = static_cast<std::uint8_t>((hlen / 4) << 4);
  out[13] = flags;
  store_be16(out, 14, window);
  store_be16(out, 16, 0);
  store_be16(out, 18, urgent);
  options.emit(out.subspan(20, hlen - 20));
  return hlen;
}

void TcpRepr::emit_partial(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
  std::size_t hlen = emit_header(out);
  if (!payload.empty() && payload.data() != out.data() + hlen)
    std::memmove(out.data() + hlen, payload.data(), payload.size());
  PseudoHeader ph{src, dst, static_cast<std::uint8_t>(IpProtocol::Tcp),
                  static_cast<std::uint16_t>(hlen + payload.size())};
  store_be16(out, 16, checksum_fold(pseudo_header_sum(ph)));
}

void TcpRepr::emit(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
  std::size_t hlen = emit_header(out);
  std::size_t total = hlen + payload.size();
  PseudoHeader ph{src, dst, static_cast<std::uint8_t>(IpProtocol::Tcp),
                  static_cast<std::uint16_t>(total)};
  // The header is a multiple of 4 bytes, so the payload's sum adds to it.
  std::uint32_t sum = checksum_accumulate(pseudo_header_sum(ph), out.first(hlen));
  std::uint8_t* to = out.data() + hlen;
  const std::uint8_t* from = payload.data();
  bool overlap = from < to + payload.size() && to < from + payload.size();
  if (payload.empty() || from == to) {
    sum = checksum_accumulate(sum, out.subspan(hlen, payload.size()));
  } else if (!overlap) {
    sum = checksum_copy(sum, out.subspan(hlen, payload.size()), payload);  // fused
  } else {
    std::memmove(to, from, payload.size());
    sum = checksum_accumulate(sum, out.subspan(hlen, payload.size()));
  }
  store_be16(out, 16, static_cast<std::uint16_t>(~checksum_fold(sum)));
}

}  // namespace synack::wire
