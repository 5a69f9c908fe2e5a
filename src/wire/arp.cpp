#include "wire/arp.hpp"

#include <algorithm>

namespace synack::wire {

Result<ArpRepr, WireError> ArpRepr::parse(const ArpView<const std::uint8_t>& view) {
  if (view.hardware_type() != kHardwareEthernet || view.protocol_type() != kProtocolIpv4 ||
      view.hardware_len() != MacAddress::kLen || view.protocol_len() != 4)
    return WireError::Unsupported;
  ArpRepr r;
  switch (view.operation()) {
    case static_cast<std::uint16_t>(ArpOperation::Request):
      r.operation = ArpOperation::Request;
      break;
    case static_cast<std::uint16_t>(ArpOperation::Reply):
      r.operation = ArpOperation::Reply;
      break;
    default:  // RARP, InARP, ...
      return WireError::Unsupported;
  }
  r.sender_mac = MacAddress::from_bytes(view.sender_hardware());
  r.sender_ip = Ipv4Address(load_be32(view.sender_protocol(), 0));
  r.target_mac = MacAddress::from_bytes(view.target_hardware());
  r.target_ip = Ipv4Address(load_be32(view.target_protocol(), 0));
  return r;
}

void ArpRepr::emit(std::span<std::uint8_t> out) const {
  store_be16(out, 0, kHardwareEthernet);
  store_be16(out, 2, kProtocolIpv4);
  out[4] = MacAddress::kLen;
  out[5] = 4;
  store_be16(out, 6, static_cast<std::uint16_t>(operation));
  std::ranges::copy(sender_mac.bytes(), out.begin() + 8);
  store_be32(out, 14, sender_ip.to_u32());
  std::ranges::copy(target_mac.bytes(), out.begin() + 18);
  store_be32(out, 24, target_ip.to_u32());
}

}  // namespace synack::wire
