// Connection tracking on the virtual clock: TCP states with Linux's names,
// the exact RFC 5382 REQ-5 / RFC 7857 timeouts, mappings freed with their
// last flow, the table limit under a SYN flood, and NAT-PMP leases.
#include <gtest/gtest.h>

#include "apps/nat/nat_engine.hpp"
#include "apps/nat/port_forward.hpp"
#include "apps/nat/tcp_conntrack.hpp"
#include "nat_test_packets.hpp"

namespace synack::nat {
namespace {

using namespace synack::nat::testing;
using Action = Translation::Action;
using namespace std::chrono_literals;

const Ipv4Address kOut(203, 0, 113, 2);
const Ipv4Address kServer(10, 0, 1, 201);
const Ipv4Address kRemote(198, 51, 100, 7);
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;
const Instant t0 = instant_from_us(5'000'000);

NatConfig config(std::size_t max = 65536) {
  NatConfig c;
  c.outside = {kOut, 24};
  c.inside = {Ipv4Address(10, 0, 1, 1), 24};
  std::string err;
  c.forwards.push_back(*PortForward::parse("tcp:3390=10.0.1.201:3389", &err));
  c.conntrack_max = max;
  return c;
}

const char* state_of(const NatEngine& nat) {
  const char* s = "none";
  nat.conntrack().for_each([&](const ConntrackEntry& e) { s = e.state_name(); });
  return s;
}

Instant expiry_of(const NatEngine& nat) {
  Instant t = kNever;
  nat.conntrack().for_each([&](const ConntrackEntry& e) { t = e.expires; });
  return t;
}

void send(NatEngine& nat, Instant now, Side from, const Bytes& p) {
  Translation t = nat.translate(now, from, p);
  ASSERT_EQ(t.action, Action::Forward) << to_string(t.reason);
}

// An inside client's connection to kRemote:80 through the NAT, established.
void establish(NatEngine& nat, Instant now) {
  send(nat, now, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kSyn, 100));
  EXPECT_STREQ(state_of(nat), "SYN_SENT");
  EXPECT_EQ(expiry_of(nat), now + 240s);  // transitory: at least 4 min
  send(nat, now, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kSyn | kAck, 500, 101));
  EXPECT_STREQ(state_of(nat), "SYN_RECV");
  send(nat, now, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kAck, 101, 501));
  EXPECT_STREQ(state_of(nat), "ESTABLISHED");
  EXPECT_EQ(expiry_of(nat), now + 2h + 4min);  // RFC 5382 REQ-5
}

TEST(NatConntrack, FourWayCloseEndsInTimeWaitForFourMinutes) {
  NatEngine nat(config());
  establish(nat, t0);
  Instant t = t0 + 10s;
  send(nat, t, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kFin | kAck, 101, 501));
  EXPECT_STREQ(state_of(nat), "FIN_WAIT");
  send(nat, t, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kAck, 501, 102));
  EXPECT_STREQ(state_of(nat), "CLOSE_WAIT");
  send(nat, t, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kFin | kAck, 501, 102));
  EXPECT_STREQ(state_of(nat), "LAST_ACK");
  send(nat, t, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kAck, 102, 502));
  EXPECT_STREQ(state_of(nat), "TIME_WAIT");
  EXPECT_EQ(expiry_of(nat), t + 240s);
  EXPECT_LE(nat.poll_at(), t + 240s);  // never later than due
  nat.expire(t + 240s - 1us);
  EXPECT_EQ(nat.conntrack().size(), 1u);
  nat.expire(t + 240s);
  EXPECT_EQ(nat.conntrack().size(), 0u);
  // The mapping went with its last flow: the port is free again.
  EXPECT_EQ(nat.mappings().size(), 0u);
  EXPECT_FALSE(nat.ports().in_use(Protocol::Tcp, 40000));
  EXPECT_EQ(nat.counters().flows_expired, 1u);
}

TEST(NatConntrack, RstKeepsTheEntryFourMoreMinutes) {
  NatEngine nat(config());
  establish(nat, t0);
  send(nat, t0 + 1s, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kRst, 501));
  EXPECT_STREQ(state_of(nat), "CLOSE");
  nat.expire(t0 + 1s + 240s - 1us);
  EXPECT_EQ(nat.conntrack().size(), 1u);
  nat.expire(t0 + 1s + 240s);
  EXPECT_EQ(nat.conntrack().size(), 0u);
}

// RFC 5961 §3 / Linux's conntrack window check: a RST outside the
// receiver's window (an off-path guess) is passed on but does not close the
// entry; one in the window does (review finding 11).
TEST(NatConntrack, OnlyAnInWindowRstClosesTheEntry) {
  NatEngine nat(config());
  establish(nat, t0);  // the inside host ACKed 501 with a 64240-byte window
  for (std::uint32_t seq : {500u, 501u + 64240u, 501u + 1'000'000u, 0x80000000u}) {
    send(nat, t0 + 1s, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kRst, seq));
    EXPECT_STREQ(state_of(nat), "ESTABLISHED") << seq;
  }
  EXPECT_EQ(nat.counters().rsts_out_of_window, 4u);
  send(nat, t0 + 1s, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kRst, 501 + 64239));
  EXPECT_STREQ(state_of(nat), "CLOSE");
}

// The answer to a SYN is acceptable only if it ACKs the SYN (RFC 9293
// §3.10.7.3), and window scaling (RFC 7323) widens the window.
TEST(NatConntrack, RstToASynMustAckItAndScaledWindowsCount) {
  TcpConntrack c;
  c.on_segment(Direction::Original, kSyn, 1000, 0, 1, 64240, 7);
  c.on_segment(Direction::Reply, kRst | kAck, 0, 999, 0);
  EXPECT_EQ(c.state(), TcpTrackState::SynSent);
  c.on_segment(Direction::Reply, kRst | kAck, 0, 1001, 0);
  EXPECT_EQ(c.state(), TcpTrackState::Close);
  TcpConntrack s;
  s.on_segment(Direction::Original, kSyn, 1000, 0, 1, 64240, 7);
  s.on_segment(Direction::Reply, kSyn | kAck, 5000, 1001, 1, 65535, 7);
  s.on_segment(Direction::Original, kAck, 1001, 5001, 0, 1000, -1);  // 1000 << 7 = 128000
  ASSERT_EQ(s.state(), TcpTrackState::Established);
  s.on_segment(Direction::Reply, kRst, 5001 + 200000, 0, 0);
  EXPECT_EQ(s.state(), TcpTrackState::Established);
  s.on_segment(Direction::Reply, kRst, 5001 + 127999, 0, 0);
  EXPECT_EQ(s.state(), TcpTrackState::Close);
  EXPECT_EQ(s.rsts_ignored(), 1u);
}

// After TIME_WAIT either end may reuse the 4-tuple: a new connection opened
// by the old responder is followed as such and, once established, gets the
// established timeout (review finding 11).
TEST(NatConntrack, TheOldResponderMayReuseTheTupleAfterTimeWait) {
  TcpConntrack c;
  c.on_segment(Direction::Original, kSyn, 100, 0, 1);
  c.on_segment(Direction::Reply, kSyn | kAck, 500, 101, 1);
  c.on_segment(Direction::Original, kAck, 101, 501, 0);
  c.on_segment(Direction::Original, kFin | kAck, 101, 501, 1);
  c.on_segment(Direction::Reply, kFin | kAck, 501, 102, 1);
  c.on_segment(Direction::Original, kAck, 102, 502, 0);
  ASSERT_EQ(c.state(), TcpTrackState::TimeWait);
  c.on_segment(Direction::Reply, kSyn, 90000, 0, 1);
  EXPECT_EQ(c.state(), TcpTrackState::SynSent);
  c.on_segment(Direction::Original, kSyn | kAck, 7000, 90001, 1);
  EXPECT_EQ(c.state(), TcpTrackState::SynRecv);
  c.on_segment(Direction::Reply, kAck, 90001, 7001, 0);
  EXPECT_EQ(c.state(), TcpTrackState::Established);
  // An off-path RST still changes nothing, an in-window one closes it.
  c.on_segment(Direction::Original, kRst, 7001 + 1'000'000, 0, 0);
  EXPECT_EQ(c.state(), TcpTrackState::Established);
  c.on_segment(Direction::Original, kRst, 7001, 0, 0);
  EXPECT_EQ(c.state(), TcpTrackState::Close);
  EXPECT_EQ(c.rsts_ignored(), 1u);
}

TEST(NatConntrack, EstablishedOutlivesFiveMinutesIdleAndEndsAfterTwoHoursFour) {
  NatEngine nat(config());
  establish(nat, t0);
  nat.expire(t0 + 5min);
  EXPECT_STREQ(state_of(nat), "ESTABLISHED");
  // Still translated after the idle time.
  send(nat, t0 + 1h, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kAck, 501, 101));
  nat.expire(t0 + 1h + 2h + 4min - 1us);
  EXPECT_EQ(nat.conntrack().size(), 1u);
  nat.expire(t0 + 1h + 2h + 4min);
  EXPECT_EQ(nat.conntrack().size(), 0u);
}

TEST(NatConntrack, UdpAndIcmpTimeouts) {
  NatEngine nat(config());
  send(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53));
  EXPECT_STREQ(state_of(nat), "UNREPLIED");
  send(nat, t0, Side::Outside, udp_packet(kRemote, 53, kOut, 5000));
  EXPECT_STREQ(state_of(nat), "ASSURED");
  EXPECT_EQ(expiry_of(nat), t0 + 5min);  // RFC 4787 REQ-5
  nat.expire(t0 + 5min);
  EXPECT_EQ(nat.conntrack().size(), 0u);
  send(nat, t0, Side::Inside, echo_packet(kServer, kRemote, true, 9, 1));
  EXPECT_EQ(expiry_of(nat), t0 + 60s);  // RFC 5508 REQ-1
}

// A spoofed SYN flood at a forwarded port: the table never grows past its
// limit, the flood's half-open entries make room for each other (early
// drop, as Linux does), established flows are never removed, and an inside
// host can still open connections during the flood — which the flood's
// entries cannot push out (review finding 7).
TEST(NatConntrack, SynFloodCannotGrowTheTablePastItsLimit) {
  NatEngine nat(config(100));
  establish(nat, t0);
  std::uint32_t refused = 0;
  auto flood = [&](Instant at, std::uint32_t first, std::uint32_t n) {
    for (std::uint32_t i = first; i < first + n; ++i) {
      Ipv4Address src(0xc6000000u + i * 7919u);
      Translation t = nat.translate(
          at, Side::Outside, tcp_packet(src, std::uint16_t(1024 + i % 60000), kOut, 3390, kSyn));
      if (t.action == Action::Drop) ++refused;
      ASSERT_LE(nat.conntrack().size(), 100u);
    }
  };
  flood(t0 + 1s, 0, 10000);
  EXPECT_EQ(nat.conntrack().size(), 100u);
  EXPECT_EQ(refused, 0u);
  EXPECT_EQ(nat.counters().early_drops, 10000u - 99u);
  // An inside host opens a connection in the middle of the flood, and the
  // flood goes on: its entries only take each other's places.
  send(nat, t0 + 1s, Side::Inside, tcp_packet(kServer, 41000, kRemote, 443, kSyn, 1000));
  flood(t0 + 1s, 10000, 5000);
  send(nat, t0 + 1500ms, Side::Outside,
       tcp_packet(kRemote, 443, kOut, 41000, kSyn | kAck, 7000, 1001));
  send(nat, t0 + 1500ms, Side::Inside, tcp_packet(kServer, 41000, kRemote, 443, kAck, 1001, 7001));
  // The established connection carries on.
  send(nat, t0 + 2s, Side::Outside, tcp_packet(kRemote, 80, kOut, 40000, kAck, 501, 101));
  send(nat, t0 + 2s, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kAck, 101, 501));
  // The half-open flood entries leave after the transitory timeout.
  nat.expire(t0 + 1s + 240s);
  EXPECT_EQ(nat.conntrack().size(), 2u);
  EXPECT_EQ(refused, 0u);
}

// Established flows are never removed for new ones: a table full of them
// refuses new flows (and counts them).
TEST(NatConntrack, ATableFullOfEstablishedFlowsRefusesNewOnes) {
  NatEngine nat(config(1));
  establish(nat, t0);
  Translation t = nat.translate(t0 + 1s, Side::Outside,
                                tcp_packet(Ipv4Address(198, 51, 100, 9), 999, kOut, 3390, kSyn));
  EXPECT_EQ(t.action, Action::Drop);
  EXPECT_EQ(t.reason, DropReason::TableFull);
  t = nat.translate(t0 + 1s, Side::Inside, udp_packet(kServer, 5000, kRemote, 53));
  EXPECT_EQ(t.reason, DropReason::TableFull);
  EXPECT_STREQ(state_of(nat), "ESTABLISHED");
  EXPECT_EQ(nat.counters().early_drops, 0u);
  EXPECT_EQ(nat.mappings().size(), 1u);  // the refused flow's mapping is not kept
}

TEST(NatConntrack, NatPmpLeaseOpensAPortUntilItEnds) {
  NatEngine nat(config());
  PmpMapResult r = nat.pmp_map(t0, Protocol::Udp, {kServer, 7777}, 7777, 60);
  EXPECT_EQ(r.code, PmpMapResult::Code::Success);
  EXPECT_EQ(r.external_port, 7777);
  EXPECT_EQ(r.lifetime, 60u);
  send(nat, t0 + 1s, Side::Outside, udp_packet(kRemote, 9, kOut, 7777));
  // A second request for a taken suggestion gets another port.
  PmpMapResult r2 = nat.pmp_map(t0, Protocol::Udp, {Ipv4Address(10, 0, 1, 7), 1}, 7777, 60);
  EXPECT_NE(r2.external_port, 7777);
  // The lease ends; the flow it let in still lives (and keeps the mapping).
  nat.expire(t0 + 60s);
  EXPECT_EQ(nat.translate(t0 + 61s, Side::Outside,
                          udp_packet(Ipv4Address(198, 51, 100, 99), 9, kOut, 7777))
                .action,
            Action::Drop);
  nat.expire(t0 + 1s + 5min);
  EXPECT_EQ(nat.mappings().size(), 0u);
  // Lifetime 0 deletes.
  nat.pmp_map(t0 + 10min, Protocol::Tcp, {kServer, 22}, 2222, 3600);
  EXPECT_EQ(nat.mappings().size(), 1u);
  nat.pmp_map(t0 + 10min, Protocol::Tcp, {kServer, 0}, 0, 0);
  EXPECT_EQ(nat.mappings().size(), 0u);
}

TEST(TcpConntrack, SimultaneousCloseAndReopen) {
  TcpConntrack c;
  c.on_segment(Direction::Reply, kSyn | kAck, 500, 101, 1);
  c.on_segment(Direction::Original, kAck, 101, 501, 0);
  ASSERT_EQ(c.state(), TcpTrackState::Established);
  c.on_segment(Direction::Original, kFin | kAck, 101, 501, 1);
  c.on_segment(Direction::Reply, kFin | kAck, 501, 101, 1);  // crosses: ACKs nothing new
  EXPECT_EQ(c.state(), TcpTrackState::LastAck);
  c.on_segment(Direction::Original, kAck, 102, 502, 0);
  EXPECT_EQ(c.state(), TcpTrackState::LastAck);
  c.on_segment(Direction::Reply, kAck, 502, 102, 0);
  EXPECT_EQ(c.state(), TcpTrackState::TimeWait);
  c.on_segment(Direction::Original, kSyn, 9000, 0, 1);
  EXPECT_EQ(c.state(), TcpTrackState::SynSent);
}

TEST(PortForward, ParsesRulesAndRefusesBadOnes) {
  std::string err;
  auto f = PortForward::parse("udp:6000-6009=10.0.1.5:7000", &err);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->to_string(), "udp:6000-6009=10.0.1.5:7000");
  EXPECT_EQ(f->target(6009).port, 7009);
  for (const char* bad : {"tcp:0=10.0.1.5:1", "sctp:1=10.0.1.5:1", "tcp:5-4=10.0.1.5:1",
                          "tcp:1=10.0.1.5", "tcp:1=10.0.1:1", "tcp:65535=1.2.3.4:0",
                          "tcp:100-200=10.0.1.5:65500", "tcp:+1=10.0.1.5:1", "", "tcp:1"})
    EXPECT_FALSE(PortForward::parse(bad, &err)) << bad;
}

}  // namespace
}  // namespace synack::nat
