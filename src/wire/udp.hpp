#pragma once
// UDP header (RFC 768): a view over bytes and a parsed value.
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/error.hpp"

namespace synack::wire {

template <typename Byte>
class UdpView {
 public:
  static constexpr std::size_t kHeaderLen = 8;

  // Verifies that the length field covers the header and stays inside
  // `bytes` (the IP payload); bytes past it (link padding) are ignored.
  static Result<UdpView, WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kHeaderLen) return WireError::Truncated;
    UdpView v(bytes);
    if (v.length() < kHeaderLen || v.length() > bytes.size()) return WireError::BadLength;
    return v;
  }
  static UdpView unchecked(std::span<Byte> bytes) { return UdpView(bytes); }

  std::uint16_t src_port() const { return load_be16(b_, 0); }
  std::uint16_t dst_port() const { return load_be16(b_, 2); }
  std::uint16_t length() const { return load_be16(b_, 4); }
  std::uint16_t checksum() const { return load_be16(b_, 6); }
  // The datagram as the length field delimits it (header included).
  std::span<Byte> bytes() const { return b_.first(length()); }
  std::span<Byte> payload() const { return b_.subspan(kHeaderLen, length() - kHeaderLen); }

 private:
  explicit UdpView(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

struct UdpRepr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::span<const std::uint8_t> payload;

  static constexpr std::size_t kHeaderLen = 8;
  // The largest payload one IPv4 packet can carry (65535 - 20 - 8).
  static constexpr std::size_t kMaxPayload = 65507;

  // Verifies the checksum over the pseudo-header; a zero checksum field
  // means the sender computed none (RFC 768) and is accepted as is.
  // `ph.length` is ignored: the UDP length field is used.
  static Result<UdpRepr, WireError> parse(const UdpView<const std::uint8_t>& view, PseudoHeader ph);
  std::size_t total_len() const { return kHeaderLen + payload.size(); }
  // Writes header and payload into `out` (at least total_len() bytes) with
  // the checksum; a computed 0 is sent as 0xffff (RFC 768). `payload` may
  // already sit in place.
  void emit(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const;
};

}  // namespace synack::wire
