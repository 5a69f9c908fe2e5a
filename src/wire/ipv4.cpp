#include "wire/ipv4.hpp"

#include "wire/checksum.hpp"

namespace synack::wire {

Result<Ipv4Repr, WireError> Ipv4Repr::parse(const Ipv4View<const std::uint8_t>& view) {
  if (internet_checksum(view.header()) != 0) return WireError::BadChecksum;
  // No reassembly yet: fragments are refused rather than misread.
  if (view.more_frags() || view.frag_offset() != 0) return WireError::Fragmented;
  Ipv4Repr r;
  r.src = view.src();
  r.dst = view.dst();
  r.protocol = view.protocol();
  r.ttl = view.ttl();
  r.ident = view.ident();
  r.dont_frag = view.dont_frag();
  r.payload_len = static_cast<std::uint16_t>(view.total_len() - view.header_len());
  return r;
}

void Ipv4Repr::emit(std::span<std::uint8_t> out) const {
  out[0] = 0x45;
  out[1] = 0;
  store_be16(out, 2, static_cast<std::uint16_t>(kHeaderLen + payload_len));
  store_be16(out, 4, ident);
  store_be16(out, 6, dont_frag ? 0x4000 : 0);
  out[8] = ttl;
  out[9] = protocol;
  store_be16(out, 10, 0);
  store_be32(out, 12, src.to_u32());
  store_be32(out, 16, dst.to_u32());
  store_be16(out, 10, internet_checksum(out.first(kHeaderLen)));
}

}  // namespace synack::wire
