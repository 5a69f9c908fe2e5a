#pragma once
// Ethernet II frames (RFC 894): MAC addresses, a view over a frame and its
// parsed header. Only the 14-byte header is handled: no FCS (the NIC or the
// TAP driver strips it) and no 802.1Q tags.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"

namespace synack::wire {

// A 48-bit IEEE 802 MAC address, in wire order.
class MacAddress {
 public:
  static constexpr std::size_t kLen = 6;

  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const std::array<std::uint8_t, kLen>& b) : b_(b) {}
  constexpr MacAddress(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                       std::uint8_t e, std::uint8_t f)
      : b_{a, b, c, d, e, f} {}
  // Copies the first 6 bytes of `b` (the caller checked the length).
  static MacAddress from_bytes(std::span<const std::uint8_t> b) {
    return MacAddress(b[0], b[1], b[2], b[3], b[4], b[5]);
  }
  static constexpr MacAddress broadcast() { return {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; }

  // Parses "02:00:5e:10:00:01" (hex digits, either case, ':' or '-');
  // nullopt on anything else.
  static std::optional<MacAddress> parse(std::string_view text);
  // Lower-case, colon-separated.
  std::string to_string() const;

  const std::array<std::uint8_t, kLen>& bytes() const { return b_; }
  bool is_broadcast() const { return *this == broadcast(); }
  // The I/G bit: group (multicast or broadcast) addresses.
  bool is_multicast() const { return b_[0] & 0x01; }
  bool is_unicast() const { return !is_multicast() && !is_zero(); }
  // The U/L bit: locally administered rather than vendor-assigned.
  bool is_local() const { return b_[0] & 0x02; }
  bool is_zero() const { return *this == MacAddress(); }

  constexpr auto operator<=>(const MacAddress&) const = default;

 private:
  std::array<std::uint8_t, kLen> b_{};
};

// EtherType values synack knows; any other 16-bit value may appear in a frame.
enum class EtherType : std::uint16_t { Ipv4 = 0x0800, Arp = 0x0806, Ipv6 = 0x86dd };

// A view over an Ethernet frame. Byte is `const std::uint8_t` (read-only) or
// `std::uint8_t` (setters enabled). Only checked() makes one from untrusted bytes.
template <typename Byte>
class EthernetView {
 public:
  static constexpr std::size_t kHeaderLen = 14;

  // Verifies that the header fits, so that every getter stays inside the buffer.
  static Result<EthernetView, WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kHeaderLen) return WireError::Truncated;
    return EthernetView(bytes);
  }
  // Wraps bytes that the caller is about to fill (emit).
  static EthernetView unchecked(std::span<Byte> bytes) { return EthernetView(bytes); }

  MacAddress dst() const { return MacAddress::from_bytes(b_.first(6)); }
  MacAddress src() const { return MacAddress::from_bytes(b_.subspan(6, 6)); }
  std::uint16_t ethertype() const { return load_be16(b_, 12); }
  std::span<Byte> header() const { return b_.first(kHeaderLen); }
  // Everything after the header, padding included (the payload's own length
  // field says where it ends).
  std::span<Byte> payload() const { return b_.subspan(kHeaderLen); }
  std::span<Byte> bytes() const { return b_; }

  void set_dst(const MacAddress& m) requires(!std::is_const_v<Byte>) { put(0, m); }
  void set_src(const MacAddress& m) requires(!std::is_const_v<Byte>) { put(6, m); }
  void set_ethertype(std::uint16_t t) requires(!std::is_const_v<Byte>) { store_be16(b_, 12, t); }

 private:
  explicit EthernetView(std::span<Byte> b) : b_(b) {}
  void put(std::size_t at, const MacAddress& m) {
    for (std::size_t i = 0; i < MacAddress::kLen; ++i)
      b_[at + i] = m.bytes()[i];
  }
  std::span<Byte> b_;
};

// The header fields, parsed.
struct EthernetRepr {
  MacAddress dst;
  MacAddress src;
  EtherType ethertype = EtherType::Ipv4;

  static constexpr std::size_t kHeaderLen = 14;
  // The shortest frame on the wire without its FCS; shorter ones are padded.
  static constexpr std::size_t kMinFrameLen = 60;

  // Values below 0x0600 are IEEE 802.3 lengths, not EtherTypes: Unsupported.
  static Result<EthernetRepr, WireError> parse(const EthernetView<const std::uint8_t>& view);
  std::size_t header_len() const { return kHeaderLen; }
  // Writes the 14-byte header into the first bytes of `out`.
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace synack::wire
