#pragma once
// DNS messages for A lookups (RFC 1035 §4), built and parsed by c-ares's
// message helpers (ares_create_query, ares_parse_a_reply,
// ares_parse_soa_reply); no DNS parsing of our own. Pure functions: no I/O.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/resolve_error.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::dns {

// A standard query, recursion desired, for the A records of `name` (no
// trailing dot needed). BadName when c-ares refuses the name.
Result<std::vector<std::uint8_t>, ResolveError> build_a_query(std::string_view name,
                                                              std::uint16_t id);

// The header's ID, if the message is long enough to have one.
std::optional<std::uint16_t> message_id(std::span<const std::uint8_t> msg);

struct AResponse {
  ResolveError error = ResolveError::None;  // from the RCODE and the answer section
  std::vector<wire::Ipv4Address> addrs;
  // Positive answers: the smallest TTL of the A records. Negative answers
  // (NXDOMAIN, NODATA): the SOA MINIMUM when the server sent an SOA (RFC
  // 2308 §5), else nullopt (do not cache).
  std::optional<std::uint32_t> ttl;
};

// Parses an answer to the query for `name`. nullopt when the message is not
// an answer to that question (QR clear, another opcode, another question):
// the caller ignores it (RFC 5452 §9.1). A matching answer that cannot be
// parsed yields error Malformed.
std::optional<AResponse> parse_a_response(std::span<const std::uint8_t> msg, std::string_view name);

}  // namespace synack::dns
