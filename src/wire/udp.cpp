#include "wire/udp.hpp"

#include <cstring>

#include "wire/ipv4.hpp"

namespace synack::wire {

Result<UdpRepr, WireError> UdpRepr::parse(const UdpView<const std::uint8_t>& view,
                                          PseudoHeader ph) {
  if (view.checksum() != 0) {
    ph.protocol = static_cast<std::uint8_t>(IpProtocol::Udp);
    ph.length = view.length();
    std::uint32_t sum = checksum_accumulate(pseudo_header_sum(ph), view.bytes());
    if (checksum_fold(sum) != 0xffff) return WireError::BadChecksum;
  }
  UdpRepr r;
  r.src_port = view.src_port();
  r.dst_port = view.dst_port();
  r.payload = view.payload();
  return r;
}

void UdpRepr::emit(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
  auto total = static_cast<std::uint16_t>(total_len());
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be16(out, 4, total);
  store_be16(out, 6, 0);
  if (!payload.empty() && payload.data() != out.data() + kHeaderLen)
    std::memmove(out.data() + kHeaderLen, payload.data(), payload.size());
  PseudoHeader ph{src, dst, static_cast<std::uint8_t>(IpProtocol::Udp), total};
  std::uint32_t sum = checksum_accumulate(pseudo_header_sum(ph), out.first(total));
  auto c = static_cast<std::uint16_t>(~checksum_fold(sum));
  // RFC 768: an all-zero result is transmitted as all ones (zero means "none").
  store_be16(out, 6, c == 0 ? 0xffff : c);
}

}  // namespace synack::wire
