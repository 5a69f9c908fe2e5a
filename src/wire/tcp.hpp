#pragma once
// TCP header (RFC 9293 §3.1): a view over bytes and a parsed value.
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "core/result.hpp"
#include "core/seq_num.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/error.hpp"
#include "wire/tcp_options.hpp"

namespace synack::wire {

namespace tcp_flags {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;
}  // namespace tcp_flags

// "SYN|ACK" style text for traces and test failures.
std::string flags_to_string(std::uint8_t flags);

template <typename Byte>
class TcpView {
 public:
  static constexpr std::size_t kMinHeader = 20;

  static Result<TcpView, WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kMinHeader) return WireError::Truncated;
    TcpView v(bytes);
    if (v.header_len() < kMinHeader || v.header_len() > bytes.size())
      return WireError::BadDataOffset;
    return v;
  }
  static TcpView unchecked(std::span<Byte> bytes) { return TcpView(bytes); }

  std::uint16_t src_port() const { return load_be16(b_, 0); }
  std::uint16_t dst_port() const { return load_be16(b_, 2); }
  SeqNum seq() const { return SeqNum(load_be32(b_, 4)); }
  SeqNum ack() const { return SeqNum(load_be32(b_, 8)); }
  std::size_t header_len() const { return std::size_t(b_[12] >> 4) * 4; }
  std::uint8_t flags() const { return b_[13]; }
  std::uint16_t window() const { return load_be16(b_, 14); }
  std::uint16_t checksum() const { return load_be16(b_, 16); }
  std::uint16_t urgent() const { return load_be16(b_, 18); }
  std::span<Byte> options() const { return b_.subspan(kMinHeader, header_len() - kMinHeader); }
  std::span<Byte> payload() const { return b_.subspan(header_len()); }
  std::span<Byte> bytes() const { return b_; }

  void set_src_port(std::uint16_t p) requires(!std::is_const_v<Byte>) { store_be16(b_, 0, p); }
  void set_dst_port(std::uint16_t p) requires(!std::is_const_v<Byte>) { store_be16(b_, 2, p); }
  void set_checksum(std::uint16_t c) requires(!std::is_const_v<Byte>) { store_be16(b_, 16, c); }

 private:
  explicit TcpView(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

struct TcpRepr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;  // meaningful only with the ACK flag
  std::uint8_t flags = 0;
  std::uint16_t window = 0;  // as on the wire (unscaled)
  std::uint16_t urgent = 0;
  TcpOptions options;
  std::span<const std::uint8_t> payload;
  // Not a header field: for a segment handed to a device with segmentation
  // offload, the payload per wire segment (the MSS it is cut at, Linux's
  // gso_size). 0, or not less than the payload: sent as it is.
  std::uint16_t segment_size = 0;

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  // Sequence space the segment occupies: payload plus one for SYN and for FIN.
  std::uint32_t seq_len() const {
    return static_cast<std::uint32_t>(payload.size()) + (has(tcp_flags::kSyn) ? 1 : 0) +
           (has(tcp_flags::kFin) ? 1 : 0);
  }

  // Verifies the checksum over the pseudo-header and parses the options.
  static Result<TcpRepr, WireError> parse(const TcpView<const std::uint8_t>& view,
                                          const PseudoHeader& ph);
  // The same without the checksum, for a segment the device has verified or
  // vouches for (virtio-net DATA_VALID, or NEEDS_CSUM from the local kernel:
  // its checksum field holds only the pseudo-header sum).
  static Result<TcpRepr, WireError> parse_trusted(const TcpView<const std::uint8_t>& view);
  std::size_t header_len() const { return 20 + options.encoded_len(); }
  std::size_t total_len() const { return header_len() + payload.size(); }
  // Writes header, options and payload into `out` (at least total_len()
  // bytes) and fills in the checksum. `payload` may already sit in place.
  void emit(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const;
  // The same for a device with checksum offload: the checksum field holds
  // the folded pseudo-header sum, not complemented, and the device sums the
  // segment from the TCP header on and fills it in (Linux's CHECKSUM_PARTIAL,
  // virtio-net VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_offset 16).
  void emit_partial(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const;

 private:
  // Header and options; returns the header length.
  std::size_t emit_header(std::span<std::uint8_t> out) const;
};

}  // namespace synack::wire
