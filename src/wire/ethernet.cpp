#include "wire/ethernet.hpp"

#include <fmt/format.h>

namespace synack::wire {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx": 17 characters, one separator kind throughout.
  if (text.size() != 17) return std::nullopt;
  char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  std::array<std::uint8_t, kLen> b{};
  for (std::size_t i = 0; i < kLen; ++i) {
    std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != sep) return std::nullopt;
    int hi = hex_value(text[at]);
    int lo = hex_value(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return MacAddress(b);
}

std::string MacAddress::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b_[0], b_[1], b_[2], b_[3], b_[4],
                     b_[5]);
}

Result<EthernetRepr, WireError> EthernetRepr::parse(const EthernetView<const std::uint8_t>& view) {
  // IEEE 802.3 frames carry a length (<= 1500) here; RFC 894 EtherTypes
  // start at 0x0600. 802.3/LLC framing (RFC 1042) is not handled.
  if (view.ethertype() < 0x0600) return WireError::Unsupported;
  EthernetRepr r;
  r.dst = view.dst();
  r.src = view.src();
  r.ethertype = static_cast<EtherType>(view.ethertype());
  return r;
}

void EthernetRepr::emit(std::span<std::uint8_t> out) const {
  auto v = EthernetView<std::uint8_t>::unchecked(out);
  v.set_dst(dst);
  v.set_src(src);
  v.set_ethertype(static_cast<std::uint16_t>(ethertype));
}

}  // namespace synack::wire
