// The NAT's packet path on untrusted packets: inspect, translate (conntrack,
// mappings, port forwards, hairpinning, ICMP errors with quotes) and rewrite.
// The input is a sequence of records [flags][length][packet bytes]; flag bit
// 0 says the packet arrives on the outside link, bit 1 makes its header
// well-formed first (version, header length, total length and header
// checksum, as the interface guarantees the hook), bits 2-3 replace its
// addresses with ones the NAT knows (inside host, router, remote), bits 4-7
// let seconds pass first. Only well-formed headers reach translate().
//
// Checked: a packet whose checksums all verify comes out of the rewrite with
// checksums that still verify (RFC 1624's incremental update is exact), its
// length unchanged; the table never exceeds --conntrack-max.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "apps/nat/nat_engine.hpp"
#include "apps/nat/packet_rewriter.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

using namespace synack;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const wire::Ipv4Address kAddrs[4] = {
    wire::Ipv4Address(10, 0, 1, 201), wire::Ipv4Address(203, 0, 113, 2),
    wire::Ipv4Address(198, 51, 100, 7), wire::Ipv4Address(10, 0, 1, 50)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nat::NatConfig cfg;
  cfg.outside = {wire::Ipv4Address(203, 0, 113, 2), 24};
  cfg.inside = {wire::Ipv4Address(10, 0, 1, 1), 24};
  cfg.conntrack_max = 8;
  cfg.filtering = nat::Filtering::EndpointIndependent;
  std::string err;
  cfg.forwards.push_back(*nat::PortForward::parse("tcp:3390=10.0.1.201:3389", &err));
  cfg.forwards.push_back(*nat::PortForward::parse("udp:6000-6009=10.0.1.201:7000", &err));
  nat::NatEngine engine(cfg);
  Instant now = instant_from_us(1'000'000);
  std::span<const std::uint8_t> in(data, size);
  std::vector<std::uint8_t> pkt, out;
  while (in.size() >= 2) {
    std::uint8_t flags = in[0];
    std::size_t len = std::min<std::size_t>(in[1] * 4u, in.size() - 2);
    pkt.assign(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    in = in.subspan(2 + len);
    now += std::chrono::seconds(flags >> 4);
    if (pkt.size() < 20) continue;
    if (flags & 2) {
      pkt[0] = 0x45;
      wire::store_be16(pkt, 2, static_cast<std::uint16_t>(pkt.size()));
    }
    if (flags & 4) wire::store_be32(pkt, 12, kAddrs[pkt[12] & 3].to_u32());
    if (flags & 8) wire::store_be32(pkt, 16, kAddrs[pkt[16] & 3].to_u32());
    if (flags & 2) {
      wire::store_be16(pkt, 10, 0);
      wire::store_be16(pkt, 10, wire::internet_checksum(std::span(pkt).first(20)));
    }
    // What the interface promises the hook.
    std::size_t hl = std::size_t(pkt[0] & 0x0f) * 4;
    if ((pkt[0] >> 4) != 4 || hl < 20 || hl > pkt.size()) continue;
    std::size_t total = wire::load_be16(pkt, 2);
    if (total < hl || total > pkt.size()) continue;
    pkt.resize(total);
    if (wire::internet_checksum(std::span(pkt).first(hl)) != 0) continue;
    bool valid = nat::checksums_valid(pkt);
    auto side = (flags & 1) ? nat::Side::Outside : nat::Side::Inside;
    nat::Translation t = engine.translate(now, side, pkt);
    check(engine.conntrack().size() <= cfg.conntrack_max);
    if (t.action != nat::Translation::Action::Forward) continue;
    out = pkt;
    nat::NatEngine::apply(t, out);
    check(out.size() == pkt.size());
    if (valid) check(nat::checksums_valid(out));
  }
  return 0;
}
