#pragma once
// The interface's forwarding hook: a router or NAT sees every received IPv4
// packet before local delivery and may take it (forward, translate or drop
// it) instead. Sans-IO: the hook writes what it forwards into another
// interface's transmit queue (Interface::queue_packet) and never touches a
// device itself.
#include <cstdint>
#include <span>

#include "core/time.hpp"

namespace synack::iface {

class Interface;

enum class HookVerdict : std::uint8_t {
  Pass,   // the interface delivers it locally if addressed to it, else drops it
  Taken,  // the hook dealt with it; the interface does nothing more
};

class PacketHook {
 public:
  virtual ~PacketHook() = default;
  // `packet` is one IPv4 packet (exactly total-length bytes) whose header
  // checked out: version, lengths and header checksum. Fragments and packets
  // for other addresses are included; the transport layer is not checked.
  virtual HookVerdict on_packet(Instant now, Interface& in,
                                std::span<const std::uint8_t> packet) = 0;
};

}  // namespace synack::iface
