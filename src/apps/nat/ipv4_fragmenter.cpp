#include "apps/nat/ipv4_fragmenter.hpp"

#include <algorithm>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace synack::nat {
namespace {

constexpr std::uint16_t kDf = 0x4000, kMf = 0x2000, kOffsetMask = 0x1fff;

// The header of every fragment but the first: the fixed 20 bytes and the
// options with the copied flag (RFC 791 §3.1), padded to 32 bits.
std::vector<std::uint8_t> later_header(std::span<const std::uint8_t> header) {
  std::vector<std::uint8_t> h(header.begin(), header.begin() + 20);
  for (std::size_t i = 20; i < header.size();) {
    std::uint8_t type = header[i];
    if (type == 0) break;  // end of option list
    if (type == 1) {       // no operation
      ++i;
      continue;
    }
    if (i + 1 >= header.size()) break;
    std::size_t len = header[i + 1];
    if (len < 2 || i + len > header.size()) break;
    if (type & 0x80) h.insert(h.end(), header.begin() + i, header.begin() + i + len);
    i += len;
  }
  h.resize((h.size() + 3) / 4 * 4, 0);
  h[0] = static_cast<std::uint8_t>(0x40 | (h.size() / 4));
  return h;
}

}  // namespace

std::size_t fragment_ipv4(std::span<const std::uint8_t> packet, std::size_t mtu,
                          const std::function<std::span<std::uint8_t>(std::size_t)>& room) {
  std::size_t hl = std::size_t(packet[0] & 0x0f) * 4;
  std::size_t total = wire::load_be16(packet, 2);
  std::span<const std::uint8_t> header = packet.first(hl);
  std::span<const std::uint8_t> data = packet.subspan(hl, total - hl);
  std::vector<std::uint8_t> later = later_header(header);
  // Every fragment but the last carries a multiple of 8 bytes.
  if (mtu < hl + 8 || mtu < later.size() + 8) return 0;
  std::uint16_t ff = wire::load_be16(packet, 6);
  std::size_t base = std::size_t(ff & kOffsetMask) * 8;
  bool more_after = (ff & kMf) != 0;  // it was itself a fragment, not the last
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < data.size(); ++count) {
    std::span<const std::uint8_t> h = count == 0 ? header : std::span<const std::uint8_t>(later);
    std::size_t n = std::min((mtu - h.size()) / 8 * 8, data.size() - pos);
    bool last = pos + n == data.size();
    std::span<std::uint8_t> out = room(h.size() + n);
    std::copy(h.begin(), h.end(), out.begin());
    std::copy(data.begin() + static_cast<std::ptrdiff_t>(pos),
              data.begin() + static_cast<std::ptrdiff_t>(pos + n), out.begin() + h.size());
    wire::store_be16(out, 2, static_cast<std::uint16_t>(h.size() + n));
    std::uint16_t flags = (ff & kDf) | ((!last || more_after) ? kMf : 0);
    wire::store_be16(out, 6, static_cast<std::uint16_t>(flags | ((base + pos) / 8)));
    wire::store_be16(out, 10, 0);
    wire::store_be16(out, 10, wire::internet_checksum(out.first(h.size())));
    pos += n;
  }
  return count;
}

}  // namespace synack::nat
