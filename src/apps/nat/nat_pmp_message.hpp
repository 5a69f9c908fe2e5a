#pragma once
// NAT-PMP messages (RFC 6886 §3): the requests a client sends to UDP 5351
// and the responses and announcements the gateway sends back. Parsing is
// for untrusted bytes (fuzzed by fuzz/fuzz_nat_pmp.cpp).
#include <cstdint>
#include <span>
#include <vector>

#include "wire/ipv4_address.hpp"

namespace synack::nat {

enum class PmpOpcode : std::uint8_t { ExternalAddress = 0, MapUdp = 1, MapTcp = 2 };

// RFC 6886 §3.5.
enum class PmpResultCode : std::uint16_t {
  Success = 0,
  UnsupportedVersion = 1,
  NotAuthorized = 2,
  NetworkFailure = 3,
  OutOfResources = 4,
  UnsupportedOpcode = 5,
};

struct PmpRequest {
  PmpOpcode opcode = PmpOpcode::ExternalAddress;
  // Map requests only (§3.3).
  std::uint16_t internal_port = 0;
  std::uint16_t suggested_port = 0;
  std::uint32_t lifetime = 0;
};

// What a datagram to the server asks for.
struct PmpParsed {
  enum class Kind : std::uint8_t {
    Request,  // `request` is valid
    Error,    // answer with `error_reply` (unsupported version or opcode)
    Ignore,   // a response (opcode >= 128), or too short: silently dropped
  } kind = Kind::Ignore;
  PmpRequest request;
  PmpResultCode error = PmpResultCode::Success;
  std::uint8_t opcode = 0;  // as received
};

PmpParsed parse_pmp_request(std::span<const std::uint8_t> data);

// §3.2: 0, 128, result, epoch, external address (12 bytes).
std::vector<std::uint8_t> pmp_external_address_response(PmpResultCode result, std::uint32_t epoch,
                                                        wire::Ipv4Address external);
// §3.3: 0, 128 + op, result, epoch, internal port, external port, lifetime (16 bytes).
std::vector<std::uint8_t> pmp_map_response(std::uint8_t opcode, PmpResultCode result,
                                           std::uint32_t epoch, std::uint16_t internal_port,
                                           std::uint16_t external_port, std::uint32_t lifetime);
// §3.5: an error about an unsupported version or opcode: for an unsupported
// opcode the request itself with the top bit of the opcode set and the result
// code (§3.5: "the entire request MUST be returned"), else a bare header
// with the epoch (8 bytes).
std::vector<std::uint8_t> pmp_error_response(std::span<const std::uint8_t> request,
                                             std::uint8_t opcode, PmpResultCode result,
                                             std::uint32_t epoch);

}  // namespace synack::nat
