// NAT-PMP (RFC 6886) requests and responses on exact bytes.
#include <gtest/gtest.h>

#include "apps/nat/nat_pmp_server.hpp"
#include "nat_test_packets.hpp"

namespace synack::nat {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;

const wire::Ipv4Address kOut(203, 0, 113, 2);
const wire::Ipv4Address kHost(10, 0, 1, 201);
const Instant t0 = instant_from_us(1'000'000);

NatConfig config() {
  NatConfig c;
  c.outside = {kOut, 24};
  c.inside = {wire::Ipv4Address(10, 0, 1, 1), 24};
  return c;
}

TEST(NatPmp, ExternalAddressAndEpoch) {
  NatEngine nat(config());
  NatPmpServer pmp(nat, t0);
  Bytes r = pmp.on_request(t0 + 7s, {kHost, 40000}, Bytes{0, 0});
  EXPECT_EQ(r, (Bytes{0, 128, 0, 0, 0, 0, 0, 7, 203, 0, 113, 2}));
}

TEST(NatPmp, MapsAPortForItsLifetime) {
  NatEngine nat(config());
  NatPmpServer pmp(nat, t0);
  // Map UDP internal 5000, suggesting 6000, for 7200 s.
  Bytes req{0, 1, 0, 0, 0x13, 0x88, 0x17, 0x70, 0, 0, 0x1c, 0x20};
  Bytes r = pmp.on_request(t0, {kHost, 40000}, req);
  EXPECT_EQ(r, (Bytes{0, 129, 0, 0, 0, 0, 0, 0, 0x13, 0x88, 0x17, 0x70, 0, 0, 0x1c, 0x20}));
  // Inbound to 6000 now reaches 10.0.1.201:5000.
  Translation t =
      nat.translate(t0 + 1s, Side::Outside,
                    testing::udp_packet(wire::Ipv4Address(198, 51, 100, 7), 9, kOut, 6000));
  ASSERT_EQ(t.action, Translation::Action::Forward);
  EXPECT_EQ(t.to.dst, kHost);
  EXPECT_EQ(t.to.dst_port, 5000);
  // Asking again returns the same mapping (RFC 6886 §3.3).
  EXPECT_EQ(pmp.on_request(t0 + 2s, {kHost, 40000}, req)[11], 0x70);
  // Delete: lifetime 0; the response has external port 0.
  Bytes del{0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(pmp.on_request(t0 + 3s, {kHost, 40000}, del),
            (Bytes{0, 129, 0, 0, 0, 0, 0, 3, 0x13, 0x88, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(pmp.counters().mapped, 2u);
  EXPECT_EQ(pmp.counters().deleted, 1u);
}

TEST(NatPmp, ErrorsAndIgnoredDatagrams) {
  NatEngine nat(config());
  NatPmpServer pmp(nat, t0);
  // Version 1: unsupported version, 8 bytes.
  EXPECT_EQ(pmp.on_request(t0, {kHost, 1}, Bytes{1, 0}), (Bytes{0, 128, 0, 1, 0, 0, 0, 0}));
  // Opcode 3: the request back with the top bit set and result 5.
  EXPECT_EQ(pmp.on_request(t0, {kHost, 1}, Bytes{0, 3, 0, 0}), (Bytes{0, 131, 0, 5}));
  // RFC 6886 §3.5: the entire request comes back, however long.
  Bytes longer(40, 0xab);
  longer[0] = 0;
  longer[1] = 9;
  Bytes want = longer;
  want[1] = 137;
  want[2] = 0;
  want[3] = 5;
  EXPECT_EQ(pmp.on_request(t0, {kHost, 1}, longer), want);
  // Responses, truncated map requests and outsiders: no answer.
  EXPECT_TRUE(pmp.on_request(t0, {kHost, 1}, Bytes{0, 128}).empty());
  EXPECT_TRUE(pmp.on_request(t0, {kHost, 1}, Bytes{0, 1, 0, 0}).empty());
  EXPECT_TRUE(pmp.on_request(t0, {wire::Ipv4Address(8, 8, 8, 8), 1}, Bytes{0, 0}).empty());
  EXPECT_TRUE(pmp.on_request(t0, {kHost, 1}, Bytes{}).empty());
}

// RFC 6886 §3.4: a statically configured mapping (a --forward) cannot be
// deleted: result 2, Not Authorized; and it keeps working.
TEST(NatPmp, DeletingAStaticForwardIsNotAuthorized) {
  NatConfig c = config();
  std::string err;
  c.forwards.push_back(*PortForward::parse("udp:6000=10.0.1.201:7000", &err));
  NatEngine nat(c);
  NatPmpServer pmp(nat, t0);
  Bytes del{0, 1, 0, 0, 0x1b, 0x58, 0, 0, 0, 0, 0, 0};  // UDP internal 7000, lifetime 0
  EXPECT_EQ(pmp.on_request(t0 + 1s, {kHost, 40000}, del),
            (Bytes{0, 129, 0, 2, 0, 0, 0, 1, 0x1b, 0x58, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(pmp.counters().deleted, 0u);
  Translation t =
      nat.translate(t0 + 2s, Side::Outside,
                    testing::udp_packet(wire::Ipv4Address(198, 51, 100, 7), 9, kOut, 6000));
  EXPECT_EQ(t.action, Translation::Action::Forward);
  // Asking to map it returns the forward's port (RFC 6886 §3.3: the existing
  // mapping), not a second one.
  Bytes map{0, 1, 0, 0, 0x1b, 0x58, 0x1b, 0x58, 0, 0, 0x0e, 0x10};  // suggest 7000, 3600 s
  EXPECT_EQ(pmp.on_request(t0 + 2s, {kHost, 40000}, map),
            (Bytes{0, 129, 0, 0, 0, 0, 0, 2, 0x1b, 0x58, 0x17, 0x70, 0, 0, 0x0e, 0x10}));
  EXPECT_EQ(nat.mappings().size(), 0u);
  // Deleting what does not exist is still a success (§3.4).
  Bytes none{0, 1, 0, 0, 0x1b, 0x59, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(pmp.on_request(t0 + 3s, {kHost, 40000}, none)[3], 0);
}

TEST(NatPmp, AnnouncesTenTimesWithDoublingGaps) {
  NatEngine nat(config());
  NatPmpServer pmp(nat, t0);
  std::vector<Instant> when;
  for (Instant t = t0; t < t0 + 10min && when.size() < 20; t = pmp.poll_at()) {
    if (t == kNever) break;
    auto a = pmp.announcement(t);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->size(), 12u);
    when.push_back(t);
  }
  ASSERT_EQ(when.size(), 10u);
  EXPECT_EQ(when[1] - when[0], 250ms);
  EXPECT_EQ(when[2] - when[1], 500ms);
  EXPECT_EQ(when[9] - when[8], 250ms * 256);
}

// Issue 15: no outside address yet (awaiting a DHCP lease): RFC 6886 §3.2's
// result 3, Network Failure; no announcement until an address, then a new
// epoch and the announcement of it.
TEST(NatPmp, NoExternalAddressIsANetworkFailure) {
  NatEngine nat(config());
  nat.set_outside({wire::Ipv4Address(), 32});
  NatPmpServer pmp(nat, t0);
  EXPECT_EQ(pmp.on_request(t0 + 2s, {kHost, 40000}, Bytes{0, 0}),
            (Bytes{0, 128, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0}));
  Bytes req{0, 1, 0, 0, 0x13, 0x88, 0x17, 0x70, 0, 0, 0x1c, 0x20};
  Bytes r = pmp.on_request(t0 + 2s, {kHost, 40000}, req);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(r[3], 3);
  EXPECT_FALSE(pmp.announcement(t0 + 2s));
  EXPECT_EQ(pmp.poll_at(), kNever);
  nat.set_outside({kOut, 24});
  pmp.restart(t0 + 5s);
  auto a = pmp.announcement(t0 + 5s);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (Bytes{0, 128, 0, 0, 0, 0, 0, 0, 203, 0, 113, 2}));
}

}  // namespace
}  // namespace synack::nat
