#pragma once
// What the interface needs from a network device (phy implements it: TUN, TAP,
// the simulated network). Sans-IO: the caller passes the current instant.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/time.hpp"

namespace synack::iface {

enum class Medium {
  Ip,        // frames are bare IPv4 packets (TUN, the simulator)
  Ethernet,  // frames carry an Ethernet header (TAP)
};

struct DeviceCaps {
  std::size_t mtu = 1500;  // largest IP packet the device carries
  Medium medium = Medium::Ip;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceCaps caps() const = 0;
  // The next received frame, if any; the bytes stay valid until the next call
  // to receive() on this device.
  virtual std::optional<std::span<const std::uint8_t>> receive(Instant now) = 0;
  // Sends one frame (copied by the device before returning).
  virtual void transmit(Instant now, std::span<const std::uint8_t> frame) = 0;
};

}  // namespace synack::iface
