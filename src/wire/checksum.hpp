#pragma once
// The Internet checksum (RFC 1071), the TCP/UDP pseudo-header, and the
// incremental update of RFC 1624 (for rewriting addresses and ports in NAT).
#include <cstdint>
#include <span>

#include "wire/ipv4_address.hpp"

namespace synack::wire {

// One's-complement sum folded to 16 bits (not yet complemented).
std::uint32_t checksum_accumulate(std::uint32_t sum, std::span<const std::uint8_t> data);
std::uint16_t checksum_fold(std::uint32_t sum);
// The same without SIMD, whatever the CPU has (for tests and comparison).
std::uint32_t checksum_accumulate_portable(std::uint32_t sum, std::span<const std::uint8_t> data);
// Copies `src` into `dst` (at least as long, not overlapping) and returns
// checksum_accumulate(sum, src), reading each byte once.
std::uint32_t checksum_copy(std::uint32_t sum, std::span<std::uint8_t> dst,
                            std::span<const std::uint8_t> src);
// The checksum field value for `data` (complement of the folded sum).
std::uint16_t internet_checksum(std::span<const std::uint8_t> data);

struct PseudoHeader {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint8_t protocol = 0;
  std::uint16_t length = 0;  // transport header + payload
};
std::uint32_t pseudo_header_sum(const PseudoHeader& ph);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit field changing m -> m'.
std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                std::uint16_t new_value);
std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value);

}  // namespace synack::wire
