// The NAT-PMP server (RFC 6886) on untrusted datagrams: the input is a
// sequence of records, each [client byte][length byte][datagram]. The client
// byte picks the source (low 3 bits: host 10.0.1.1+n, so 0 is the router
// itself and 7 an address outside the inside network; bit 3: a second
// source port) and, in its top 4 bits, how many seconds pass first.
//
// Checked after every datagram: a response is sent only to requests from
// inside hosts; it starts with version 0 and an opcode with the top bit set;
// its length is that of its kind (8, 12, 16, or the echoed request of an
// unsupported opcode, 4..16); a successful map names the requesting host's
// mapping; every mapping holds a port the allocator marks used.
#include <cstddef>
#include <cstdint>
#include <span>

#include "apps/nat/nat_engine.hpp"
#include "apps/nat/nat_pmp_server.hpp"
#include "wire/bytes.hpp"

using namespace synack;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nat::NatConfig cfg;
  cfg.outside = {wire::Ipv4Address(203, 0, 113, 2), 24};
  cfg.inside = {wire::Ipv4Address(10, 0, 1, 1), 29};  // 10.0.1.0 - 10.0.1.7
  cfg.seed = 7;
  nat::NatEngine engine(cfg);
  Instant now = instant_from_us(1'000'000);
  nat::NatPmpServer server(engine, now);
  std::span<const std::uint8_t> in(data, size);
  while (in.size() >= 2) {
    std::uint8_t who = in[0];
    std::size_t len = std::min<std::size_t>(in[1], in.size() - 2);
    std::span<const std::uint8_t> dgram = in.subspan(2, len);
    in = in.subspan(2 + len);
    now += std::chrono::seconds(who >> 4);
    wire::Ipv4Address client((10u << 24) | (1u << 8) | (1u + (who & 7u)));
    if ((who & 7) == 7) client = wire::Ipv4Address(192, 0, 2, 1);
    std::uint16_t port = (who & 8) ? 5350 : 40000;
    auto r = server.on_request(now, {client, port}, dgram);
    bool inside = cfg.inside.contains(client) && client != cfg.inside.address;
    if (!inside) check(r.empty());
    if (!r.empty()) {
      check(r.size() >= 4 && r[0] == 0 && (r[1] & 0x80));
      std::uint16_t result = wire::load_be16(r, 2);
      std::uint8_t op = r[1] & 0x7f;
      if (result == 5) {
        check(r.size() == std::max<std::size_t>(4, dgram.size()));  // RFC 6886 §3.5
      } else if (result == 1) {
        check(r.size() == 8);
      } else if (op == 0) {
        check(r.size() == 12);
      } else {
        check(op == 1 || op == 2);
        check(r.size() == 16);
        std::uint16_t ext = wire::load_be16(r, 10);
        std::uint32_t life = wire::load_be32(r, 12);
        if (result == 0 && life != 0) {
          auto proto = op == 2 ? nat::Protocol::Tcp : nat::Protocol::Udp;
          check(ext != 0 && engine.ports().in_use(proto, ext));
        }
      }
    }
    if (auto a = server.announcement(now)) check(a->size() == 12);
    engine.expire(now);
    std::size_t mapped = 0;
    engine.mappings().for_each([&](const nat::NatMapping& m) {
      check(engine.ports().in_use(m.proto, m.external_port));
      check(cfg.inside.contains(m.inside.addr));
      ++mapped;
    });
    check(mapped == engine.mappings().size());
  }
  return 0;
}
