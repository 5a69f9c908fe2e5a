#pragma once
// ICMPv4 (RFC 792): echo request/reply and destination unreachable.
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "wire/error.hpp"

namespace synack::wire {

enum class IcmpType : std::uint8_t { EchoReply = 0, DestUnreachable = 3, EchoRequest = 8 };

namespace icmp_unreach {
inline constexpr std::uint8_t kProtocol = 2;
inline constexpr std::uint8_t kPort = 3;
}  // namespace icmp_unreach

struct IcmpRepr {
  IcmpType type = IcmpType::EchoRequest;
  std::uint8_t code = 0;
  std::uint16_t ident = 0;   // echo only
  std::uint16_t seq_no = 0;  // echo only
  // Echo: the echoed data. Unreachable: the offending IP header + 8 bytes.
  std::span<const std::uint8_t> data;

  static constexpr std::size_t kHeaderLen = 8;

  // Verifies length and checksum; other ICMP types yield Unsupported.
  static Result<IcmpRepr, WireError> parse(std::span<const std::uint8_t> bytes);
  std::size_t total_len() const { return kHeaderLen + data.size(); }
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace synack::wire
