#include "wire/icmp.hpp"

#include <cstring>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace synack::wire {

Result<IcmpRepr, WireError> IcmpRepr::parse(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderLen) return WireError::Truncated;
  if (internet_checksum(b) != 0) return WireError::BadChecksum;
  IcmpRepr r;
  r.code = b[1];
  switch (b[0]) {
    case 0:
    case 8:
      r.type = static_cast<IcmpType>(b[0]);
      r.ident = load_be16(b, 4);
      r.seq_no = load_be16(b, 6);
      break;
    case 3:
      r.type = IcmpType::DestUnreachable;
      break;
    default:
      return WireError::Unsupported;
  }
  r.data = b.subspan(kHeaderLen);
  return r;
}

void IcmpRepr::emit(std::span<std::uint8_t> out) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = code;
  store_be16(out, 2, 0);
  if (type == IcmpType::DestUnreachable) {
    store_be32(out, 4, 0);
  } else {
    store_be16(out, 4, ident);
    store_be16(out, 6, seq_no);
  }
  if (!data.empty()) std::memmove(out.data() + kHeaderLen, data.data(), data.size());
  store_be16(out, 2, internet_checksum(out.first(total_len())));
}

}  // namespace synack::wire
