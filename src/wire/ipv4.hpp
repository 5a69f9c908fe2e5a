#pragma once
// IPv4 header (RFC 791): a view over bytes and a parsed value.
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::wire {

enum class IpProtocol : std::uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

// A view over an IPv4 packet. Byte is `const std::uint8_t` (read-only) or
// `std::uint8_t` (setters enabled). Only checked() makes one from untrusted bytes.
template <typename Byte>
class Ipv4View {
 public:
  static constexpr std::size_t kMinHeader = 20;

  // Verifies the lengths so that every getter stays inside the buffer.
  static Result<Ipv4View, WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kMinHeader) return WireError::Truncated;
    Ipv4View v(bytes);
    if (v.version() != 4) return WireError::BadVersion;
    if (v.header_len() < kMinHeader || v.header_len() > bytes.size())
      return WireError::BadHeaderLength;
    if (v.total_len() < v.header_len() || v.total_len() > bytes.size())
      return WireError::BadTotalLength;
    return v;
  }
  // Wraps bytes that the caller is about to fill (emit).
  static Ipv4View unchecked(std::span<Byte> bytes) { return Ipv4View(bytes); }

  std::uint8_t version() const { return b_[0] >> 4; }
  std::size_t header_len() const { return std::size_t(b_[0] & 0x0f) * 4; }
  std::uint8_t dscp_ecn() const { return b_[1]; }
  std::uint16_t total_len() const { return load_be16(b_, 2); }
  std::uint16_t ident() const { return load_be16(b_, 4); }
  bool dont_frag() const { return b_[6] & 0x40; }
  bool more_frags() const { return b_[6] & 0x20; }
  std::uint16_t frag_offset() const { return load_be16(b_, 6) & 0x1fff; }
  std::uint8_t ttl() const { return b_[8]; }
  std::uint8_t protocol() const { return b_[9]; }
  std::uint16_t checksum() const { return load_be16(b_, 10); }
  Ipv4Address src() const { return Ipv4Address(load_be32(b_, 12)); }
  Ipv4Address dst() const { return Ipv4Address(load_be32(b_, 16)); }
  std::span<Byte> header() const { return b_.first(header_len()); }
  std::span<Byte> payload() const { return b_.subspan(header_len(), total_len() - header_len()); }
  std::span<Byte> bytes() const { return b_; }

  void set_src(Ipv4Address a) requires(!std::is_const_v<Byte>) { store_be32(b_, 12, a.to_u32()); }
  void set_dst(Ipv4Address a) requires(!std::is_const_v<Byte>) { store_be32(b_, 16, a.to_u32()); }
  void set_ttl(std::uint8_t t) requires(!std::is_const_v<Byte>) { b_[8] = t; }
  void set_checksum(std::uint16_t c) requires(!std::is_const_v<Byte>) { store_be16(b_, 10, c); }

 private:
  explicit Ipv4View(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

// The fields synack uses, parsed and validated.
struct Ipv4Repr {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 64;
  std::uint16_t ident = 0;
  bool dont_frag = true;
  std::uint16_t payload_len = 0;

  static constexpr std::size_t kHeaderLen = 20;

  // Validates the checksum and refuses fragments; options are skipped.
  static Result<Ipv4Repr, WireError> parse(const Ipv4View<const std::uint8_t>& view);
  std::size_t header_len() const { return kHeaderLen; }
  // Writes a 20-byte header (with checksum) into the first bytes of `out`.
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace synack::wire
