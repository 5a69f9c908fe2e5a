#pragma once
// The DHCP message (RFC 2131 §2, the BOOTP layout of RFC 951) and the
// options of RFC 2132 a client needs: a view over bytes and a parsed value,
// in the wire layer's style (no state, no allocation).
//
//   0      op  htype  hlen  hops
//   4      xid
//   8      secs            flags (bit 15: broadcast)
//   12     ciaddr   16 yiaddr   20 siaddr   24 giaddr
//   28     chaddr (16)   44 sname (64)   108 file (128)
//   236    magic cookie 99.130.83.99
//   240    options: code, length, value; 0 is padding, 255 ends them
//
// Options parsed into DhcpRepr: 1 subnet mask, 3 routers, 6 DNS servers,
// 50 requested address, 51 lease time, 52 overload (the sname and file
// fields then hold options too), 53 message type, 54 server identifier,
// 55 parameter request list, 56 message, 58 T1, 59 T2, 61 client
// identifier, 12 host name. Others are skipped; an option of a known code
// with a wrong length makes the message malformed (BadOption). An option
// that appears several times, in one area or across the options, file and
// sname areas, is one long option (RFC 3396): its parts are joined in that
// order before the length is checked; options kept as spans (12, 55, 56,
// 61) keep their first part.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::dhcp {

constexpr std::uint16_t kServerPort = 67;
constexpr std::uint16_t kClientPort = 68;

enum class DhcpOp : std::uint8_t { Request = 1, Reply = 2 };

// Option 53 (RFC 2132 §9.6).
enum class DhcpMessageType : std::uint8_t {
  Discover = 1,
  Offer = 2,
  Request = 3,
  Decline = 4,
  Ack = 5,
  Nak = 6,
  Release = 7,
  Inform = 8,
};
std::string_view to_string(DhcpMessageType t);

namespace option {
constexpr std::uint8_t kPad = 0;
constexpr std::uint8_t kSubnetMask = 1;
constexpr std::uint8_t kRouter = 3;
constexpr std::uint8_t kDnsServer = 6;
constexpr std::uint8_t kHostName = 12;
constexpr std::uint8_t kRequestedIp = 50;
constexpr std::uint8_t kLeaseTime = 51;
constexpr std::uint8_t kOverload = 52;
constexpr std::uint8_t kMessageType = 53;
constexpr std::uint8_t kServerId = 54;
constexpr std::uint8_t kParameterList = 55;
constexpr std::uint8_t kMessage = 56;
constexpr std::uint8_t kMaxMessageSize = 57;
constexpr std::uint8_t kRenewalTime = 58;    // T1
constexpr std::uint8_t kRebindingTime = 59;  // T2
constexpr std::uint8_t kClientId = 61;
constexpr std::uint8_t kEnd = 255;
}  // namespace option

template <typename Byte>
class DhcpView {
 public:
  static constexpr std::size_t kFixedLen = 236;
  static constexpr std::size_t kOptionsAt = 240;  // after the magic cookie
  static constexpr std::uint32_t kMagicCookie = 0x63825363;

  // Verifies the fixed part and the magic cookie (a message without it is
  // plain BOOTP, which synack does not speak: Unsupported).
  static Result<DhcpView, wire::WireError> checked(std::span<Byte> bytes) {
    if (bytes.size() < kOptionsAt) return wire::WireError::Truncated;
    DhcpView v(bytes);
    if (v.magic() != kMagicCookie) return wire::WireError::Unsupported;
    return v;
  }
  static DhcpView unchecked(std::span<Byte> bytes) { return DhcpView(bytes); }

  std::uint8_t op() const { return b_[0]; }
  std::uint8_t htype() const { return b_[1]; }
  std::uint8_t hlen() const { return b_[2]; }
  std::uint8_t hops() const { return b_[3]; }
  std::uint32_t xid() const { return wire::load_be32(b_, 4); }
  std::uint16_t secs() const { return wire::load_be16(b_, 8); }
  std::uint16_t flags() const { return wire::load_be16(b_, 10); }
  bool broadcast() const { return flags() & 0x8000; }
  wire::Ipv4Address ciaddr() const { return wire::Ipv4Address(wire::load_be32(b_, 12)); }
  wire::Ipv4Address yiaddr() const { return wire::Ipv4Address(wire::load_be32(b_, 16)); }
  wire::Ipv4Address siaddr() const { return wire::Ipv4Address(wire::load_be32(b_, 20)); }
  wire::Ipv4Address giaddr() const { return wire::Ipv4Address(wire::load_be32(b_, 24)); }
  std::span<Byte> chaddr() const { return b_.subspan(28, 16); }
  std::span<Byte> sname() const { return b_.subspan(44, 64); }
  std::span<Byte> file() const { return b_.subspan(108, 128); }
  std::uint32_t magic() const { return wire::load_be32(b_, 236); }
  std::span<Byte> options() const { return b_.subspan(kOptionsAt); }
  std::span<Byte> bytes() const { return b_; }

 private:
  explicit DhcpView(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

// Up to four addresses of a list option (routers, DNS servers); more are
// ignored.
struct AddressList {
  static constexpr std::size_t kCapacity = 4;
  std::array<wire::Ipv4Address, kCapacity> items{};
  std::size_t count = 0;

  void push(wire::Ipv4Address a) {
    if (count < kCapacity) items[count++] = a;
  }
  bool empty() const { return count == 0; }
  std::span<const wire::Ipv4Address> view() const { return {items.data(), count}; }
  bool operator==(const AddressList& o) const {
    return count == o.count && std::equal(items.begin(), items.begin() + count, o.items.begin());
  }
};

struct DhcpRepr {
  DhcpOp op = DhcpOp::Request;
  DhcpMessageType message_type = DhcpMessageType::Discover;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  bool broadcast = false;
  wire::Ipv4Address ciaddr, yiaddr, siaddr, giaddr;
  // htype 1 (Ethernet), hlen 6: the only hardware synack has.
  wire::MacAddress chaddr;

  std::optional<wire::Ipv4Address> subnet_mask;
  AddressList routers;
  AddressList dns_servers;
  std::optional<wire::Ipv4Address> requested_ip;
  std::optional<std::uint32_t> lease_time;  // seconds; 0xffffffff is infinite
  std::optional<std::uint32_t> renewal_time;
  std::optional<std::uint32_t> rebinding_time;
  std::optional<wire::Ipv4Address> server_id;
  std::optional<std::uint16_t> max_message_size;
  // Points into the parsed bytes, or into the caller's data for emit().
  std::span<const std::uint8_t> parameter_list;
  std::span<const std::uint8_t> client_id;
  std::span<const std::uint8_t> host_name;
  std::span<const std::uint8_t> message;  // option 56, text from the server

  // The smallest message: RFC 951's 300 bytes, which some relays and
  // servers still expect.
  static constexpr std::size_t kMinLen = 300;

  // Parses the fields and options. Errors: Unsupported for an htype/hlen
  // other than Ethernet's or no message type option; BadOption for an
  // option that runs past the message or has the wrong length for its code
  // (a message type outside 1..8 too); Truncated when the options never
  // end (no option 255).
  static Result<DhcpRepr, wire::WireError> parse(const DhcpView<const std::uint8_t>& view);
  // Bytes emit() writes: the fixed part, the cookie, the options, the end
  // option, padded with zeros to kMinLen.
  std::size_t buffer_len() const;
  // Writes the message into `out` (at least buffer_len() bytes). Options in
  // the order of RFC 2131's examples: 53, 61, 50, 54, 51, 58, 59, 1, 3, 6,
  // 12, 57, 55, 56.
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace synack::dhcp
