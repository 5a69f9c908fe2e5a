#pragma once
// ARP (RFC 826): a view over any ARP packet, and the parsed form of the one
// kind synack speaks, IPv4 over Ethernet.
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::wire {

enum class ArpOperation : std::uint16_t { Request = 1, Reply = 2 };

// A view over an ARP packet of any hardware/protocol kind. Byte is
// `const std::uint8_t` (read-only) or `std::uint8_t` (setters enabled).
template <typename Byte>
class ArpView {
 public:
  static constexpr std::size_t kFixedLen = 8;  // htype, ptype, hlen, plen, oper

  // Verifies that the fixed part and the four addresses (sized by hlen and
  // plen) fit, so that every getter stays inside the buffer.
  static Result<ArpView, WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kFixedLen) return WireError::Truncated;
    ArpView v(bytes);
    if (bytes.size() < v.packet_len()) return WireError::Truncated;
    return v;
  }
  // Wraps bytes that the caller is about to fill (emit).
  static ArpView unchecked(std::span<Byte> bytes) { return ArpView(bytes); }

  std::uint16_t hardware_type() const { return load_be16(b_, 0); }
  std::uint16_t protocol_type() const { return load_be16(b_, 2); }
  std::uint8_t hardware_len() const { return b_[4]; }
  std::uint8_t protocol_len() const { return b_[5]; }
  std::uint16_t operation() const { return load_be16(b_, 6); }
  std::span<Byte> sender_hardware() const { return b_.subspan(kFixedLen, hardware_len()); }
  std::span<Byte> sender_protocol() const {
    return b_.subspan(kFixedLen + hardware_len(), protocol_len());
  }
  std::span<Byte> target_hardware() const {
    return b_.subspan(kFixedLen + hardware_len() + protocol_len(), hardware_len());
  }
  std::span<Byte> target_protocol() const {
    return b_.subspan(kFixedLen + 2 * std::size_t(hardware_len()) + protocol_len(), protocol_len());
  }
  // The fixed part plus the four addresses; trailing bytes (padding) excluded.
  std::size_t packet_len() const {
    return kFixedLen + 2 * (std::size_t(hardware_len()) + protocol_len());
  }
  std::span<Byte> bytes() const { return b_; }

  void set_operation(ArpOperation op) requires(!std::is_const_v<Byte>) {
    store_be16(b_, 6, static_cast<std::uint16_t>(op));
  }

 private:
  explicit ArpView(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

// An IPv4-over-Ethernet ARP request or reply.
struct ArpRepr {
  ArpOperation operation = ArpOperation::Request;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;  // ignored (zero by convention) in requests
  Ipv4Address target_ip;

  static constexpr std::uint16_t kHardwareEthernet = 1;
  static constexpr std::uint16_t kProtocolIpv4 = 0x0800;
  static constexpr std::size_t kPacketLen = 28;

  // Anything but htype 1 / ptype 0x0800 / hlen 6 / plen 4 with a request or
  // reply operation is Unsupported (RFC 826: "?Do I have the hardware type").
  static Result<ArpRepr, WireError> parse(const ArpView<const std::uint8_t>& view);
  std::size_t packet_len() const { return kPacketLen; }
  // Writes the 28-byte packet into the first bytes of `out`.
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace synack::wire
