#pragma once
// What an ICMP error message quotes (RFC 792; RFC 1122 §3.2.2): the header
// of the datagram that caused it and at least its first 8 payload bytes,
// which for UDP and TCP hold the ports. Used to find the socket the error
// belongs to.
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "wire/error.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::wire {

struct IcmpQuote {
  Ipv4Address src;  // the offending datagram's source (us, for errors we caused)
  Ipv4Address dst;
  std::uint8_t protocol = 0;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;

  // The quoted header's total length may exceed what was quoted, so this
  // checks only version, header length and that 8 payload bytes follow.
  static Result<IcmpQuote, WireError> parse(std::span<const std::uint8_t> data);
};

}  // namespace synack::wire
