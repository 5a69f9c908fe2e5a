#include "apps/nat/nat_pmp_message.hpp"

#include <algorithm>

#include "wire/bytes.hpp"

namespace synack::nat {

using wire::load_be16;
using wire::load_be32;
using wire::store_be16;
using wire::store_be32;

PmpParsed parse_pmp_request(std::span<const std::uint8_t> data) {
  PmpParsed p;
  if (data.size() < 2) return p;  // not even a header: ignored
  p.opcode = data[1];
  if (p.opcode >= 128) return p;  // a response (ours, echoed, or another gateway's)
  if (data[0] != 0) {
    p.kind = PmpParsed::Kind::Error;
    p.error = PmpResultCode::UnsupportedVersion;
    return p;
  }
  switch (p.opcode) {
    case 0:
      p.kind = PmpParsed::Kind::Request;
      p.request.opcode = PmpOpcode::ExternalAddress;
      return p;
    case 1:
    case 2:
      if (data.size() < 12) return p;  // a truncated map request: ignored
      p.kind = PmpParsed::Kind::Request;
      p.request.opcode = static_cast<PmpOpcode>(p.opcode);
      // Bytes 2-3 are reserved (sent as 0, ignored on receipt).
      p.request.internal_port = load_be16(data, 4);
      p.request.suggested_port = load_be16(data, 6);
      p.request.lifetime = load_be32(data, 8);
      return p;
    default:
      p.kind = PmpParsed::Kind::Error;
      p.error = PmpResultCode::UnsupportedOpcode;
      return p;
  }
}

std::vector<std::uint8_t> pmp_external_address_response(PmpResultCode result, std::uint32_t epoch,
                                                        wire::Ipv4Address external) {
  std::vector<std::uint8_t> r(12);
  r[0] = 0;
  r[1] = 128;
  store_be16(r, 2, static_cast<std::uint16_t>(result));
  store_be32(r, 4, epoch);
  store_be32(r, 8, external.to_u32());
  return r;
}

std::vector<std::uint8_t> pmp_map_response(std::uint8_t opcode, PmpResultCode result,
                                           std::uint32_t epoch, std::uint16_t internal_port,
                                           std::uint16_t external_port, std::uint32_t lifetime) {
  std::vector<std::uint8_t> r(16);
  r[0] = 0;
  r[1] = static_cast<std::uint8_t>(128 + opcode);
  store_be16(r, 2, static_cast<std::uint16_t>(result));
  store_be32(r, 4, epoch);
  store_be16(r, 8, internal_port);
  store_be16(r, 10, external_port);
  store_be32(r, 12, lifetime);
  return r;
}

std::vector<std::uint8_t> pmp_error_response(std::span<const std::uint8_t> request,
                                             std::uint8_t opcode, PmpResultCode result,
                                             std::uint32_t epoch) {
  if (result == PmpResultCode::UnsupportedOpcode) {
    // RFC 6886 §3.5: the entire request MUST be returned (no larger than it
    // came: nothing to amplify), at least the 4-byte header.
    std::size_t n = std::max<std::size_t>(4, request.size());
    std::vector<std::uint8_t> r(n, 0);
    std::copy(request.begin(), request.begin() + std::min(request.size(), n), r.begin());
    r[1] = static_cast<std::uint8_t>(opcode | 0x80);
    store_be16(r, 2, static_cast<std::uint16_t>(result));
    return r;
  }
  std::vector<std::uint8_t> r(8);
  r[0] = 0;
  r[1] = static_cast<std::uint8_t>(128 + (opcode & 0x7f));
  store_be16(r, 2, static_cast<std::uint16_t>(result));
  store_be32(r, 4, epoch);
  return r;
}

}  // namespace synack::nat
