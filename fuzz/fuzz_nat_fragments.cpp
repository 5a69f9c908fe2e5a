// The router's IPv4 reassembly and fragmentation on untrusted fragments.
// The input's first byte picks the egress MTU (68 + 8 * byte), then records
// [ctl][offset/8 (2 bytes, 13 bits used)][length][data]: ctl bits 0-1 pick
// one of four datagram ids, bit 2 sets MF, bits 3-7 let seconds pass. Each
// record becomes a fragment with a valid header, as the interface promises
// the packet hook.
//
// Checked: the reassembler never holds more than its limits; a datagram it
// completes has a valid header with no fragment fields, and fragmenting it
// at the MTU and reassembling the pieces gives back exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "apps/nat/fragment_reassembler.hpp"
#include "apps/nat/ipv4_fragmenter.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

using namespace synack;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t mtu = 68 + std::size_t(data[0]) * 8;
  nat::ReassemblyLimits lim;
  lim.max_datagrams = 3;
  lim.max_bytes = 4096;
  nat::FragmentReassembler r(lim);
  Instant now = instant_from_us(1'000'000);
  std::span<const std::uint8_t> in(data + 1, size - 1);
  std::vector<std::uint8_t> frag, whole;
  while (in.size() >= 4) {
    std::uint8_t ctl = in[0];
    std::uint16_t offset = wire::load_be16(in, 1) & 0x1fff;
    std::size_t len = std::min<std::size_t>(in[3], in.size() - 4);
    now += std::chrono::seconds(ctl >> 3);
    frag.assign(20, 0);
    frag.insert(frag.end(), in.begin() + 4, in.begin() + 4 + static_cast<std::ptrdiff_t>(len));
    in = in.subspan(4 + len);
    frag[0] = 0x45;
    wire::store_be16(frag, 2, static_cast<std::uint16_t>(frag.size()));
    wire::store_be16(frag, 4, ctl & 3);
    wire::store_be16(frag, 6, static_cast<std::uint16_t>(offset | ((ctl & 4) ? 0x2000 : 0)));
    frag[8] = 64;
    frag[9] = 17;
    wire::store_be32(frag, 12, wire::Ipv4Address(10, 0, 1, 201).to_u32());
    wire::store_be32(frag, 16, wire::Ipv4Address(198, 51, 100, 7).to_u32());
    wire::store_be16(frag, 10, wire::internet_checksum(std::span(frag).first(20)));
    if (!nat::is_ipv4_fragment(frag)) continue;  // the router takes whole ones elsewhere
    auto d = r.add(now, frag);
    check(r.datagrams() <= lim.max_datagrams && r.bytes() <= lim.max_bytes);
    if (!d) continue;
    whole.assign(d->packet.begin(), d->packet.end());
    check(whole.size() <= 65535 && wire::load_be16(whole, 2) == whole.size());
    check((wire::load_be16(whole, 6) & 0x3fff) == 0);
    check(wire::internet_checksum(std::span(whole).first(20)) == 0);
    nat::FragmentReassembler again;
    std::vector<std::vector<std::uint8_t>> pieces;
    std::size_t n = nat::fragment_ipv4(whole, mtu, [&](std::size_t l) {
      pieces.emplace_back(l);
      return std::span<std::uint8_t>(pieces.back());
    });
    if (whole.size() <= mtu) continue;  // the router sends it whole
    check(n == pieces.size() && n >= 2);
    std::vector<std::uint8_t> back;
    for (const auto& p : pieces) {
      check(p.size() <= mtu && wire::internet_checksum(std::span(p).first(20)) == 0);
      if (auto e = again.add(now, p)) back.assign(e->packet.begin(), e->packet.end());
    }
    check(back == whole);
  }
  return 0;
}
