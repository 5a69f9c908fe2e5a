#include "wire/icmp_quote.hpp"

#include "wire/ipv4.hpp"

namespace synack::wire {

Result<IcmpQuote, WireError> IcmpQuote::parse(std::span<const std::uint8_t> data) {
  if (data.size() < Ipv4View<const std::uint8_t>::kMinHeader) return WireError::Truncated;
  auto ip = Ipv4View<const std::uint8_t>::unchecked(data);
  if (ip.version() != 4) return WireError::BadVersion;
  std::size_t hlen = ip.header_len();
  if (hlen < Ipv4View<const std::uint8_t>::kMinHeader) return WireError::BadHeaderLength;
  if (data.size() < hlen + 8) return WireError::Truncated;
  IcmpQuote q;
  q.src = ip.src();
  q.dst = ip.dst();
  q.protocol = ip.protocol();
  q.src_port = load_be16(data, hlen);
  q.dst_port = load_be16(data, hlen + 2);
  return q;
}

}  // namespace synack::wire
