// The NAT's translations on exact packets: every translated packet is
// compared byte for byte with the packet the wire layer builds from scratch
// for the expected tuple, so the incremental checksums (RFC 1624) are checked
// against full ones.
#include <gtest/gtest.h>

#include "apps/nat/nat_engine.hpp"
#include "nat_test_packets.hpp"

namespace synack::nat {
namespace {

using namespace synack::nat::testing;
using Action = Translation::Action;
using namespace std::chrono_literals;

const Ipv4Address kOut(203, 0, 113, 2);      // the router's outside address
const Ipv4Address kServer(10, 0, 1, 201);    // the inside server
const Ipv4Address kLaptop(10, 0, 1, 50);     // another inside host
const Ipv4Address kRemote(198, 51, 100, 7);  // somewhere on the Internet
const Ipv4Address kRemote2(198, 51, 100, 8);
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;
const Instant t0 = instant_from_us(1'000'000);

NatConfig config() {
  NatConfig c;
  c.outside = {kOut, 24};
  c.inside = {Ipv4Address(10, 0, 1, 1), 24};
  std::string err;
  c.forwards.push_back(*PortForward::parse("tcp:3390=10.0.1.201:3389", &err));
  c.forwards.push_back(*PortForward::parse("udp:6000-6009=10.0.1.201:7000", &err));
  return c;
}

// Translates `in` arriving on `from`; expects a Forward to `side` and returns
// the rewritten packet.
Bytes forward(NatEngine& nat, Instant now, Side from, const Bytes& in, Side side) {
  Translation t = nat.translate(now, from, in);
  EXPECT_EQ(t.action, Action::Forward) << to_string(t.reason);
  EXPECT_EQ(t.egress, side);
  Bytes out = in;
  if (t.action == Action::Forward) NatEngine::apply(t, out);
  EXPECT_TRUE(checksums_valid(out));
  return out;
}

TEST(NatEngine, MasqueradeKeepsThePortAndRewritesChecksumsExactly) {
  NatEngine nat(config());
  Bytes syn = tcp_packet(kServer, 40000, kRemote, 80, kSyn, 1000);
  Bytes out = forward(nat, t0, Side::Inside, syn, Side::Outside);
  EXPECT_EQ(out, tcp_packet(kOut, 40000, kRemote, 80, kSyn, 1000, 0, {}, 63));
  Bytes synack = tcp_packet(kRemote, 80, kOut, 40000, kSyn | kAck, 5000, 1001);
  EXPECT_EQ(forward(nat, t0, Side::Outside, synack, Side::Inside),
            tcp_packet(kRemote, 80, kServer, 40000, kSyn | kAck, 5000, 1001, {}, 63));
  EXPECT_EQ(nat.counters().outbound, 1u);
  EXPECT_EQ(nat.counters().inbound, 1u);
}

TEST(NatEngine, UdpWithPayloadAndNoChecksum) {
  NatEngine nat(config());
  const std::uint8_t data[] = {'q', 'u', 'e', 'r', 'y'};
  Bytes q = udp_packet(kServer, 5353, kRemote, 53, data);
  EXPECT_EQ(forward(nat, t0, Side::Inside, q, Side::Outside),
            udp_packet(kOut, 5353, kRemote, 53, data, 63));
  // A zero UDP checksum means "none" (RFC 768) and stays zero.
  Bytes nock = udp_packet(kServer, 5353, kRemote, 53, data);
  nock[26] = nock[27] = 0;
  Bytes out = forward(nat, t0, Side::Inside, nock, Side::Outside);
  EXPECT_EQ(out[26], 0);
  EXPECT_EQ(out[27], 0);
}

TEST(NatEngine, EndpointIndependentMappingReusesTheExternalPort) {
  NatEngine nat(config());
  forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53), Side::Outside);
  // The same inside endpoint to another remote: the same external port.
  Bytes out =
      forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote2, 123), Side::Outside);
  EXPECT_EQ(out, udp_packet(kOut, 5000, kRemote2, 123, {}, 63));
  EXPECT_EQ(nat.mappings().size(), 1u);
  EXPECT_EQ(nat.conntrack().size(), 2u);
}

TEST(NatEngine, TakenPortsGetARandomPortOfTheSameRange) {
  NatEngine nat(config());
  forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53), Side::Outside);
  Bytes out = forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5000, kRemote, 53), Side::Outside);
  std::uint16_t port = std::uint16_t((out[20] << 8) | out[21]);
  EXPECT_NE(port, 5000);
  EXPECT_GE(port, 1024);
  EXPECT_EQ(out, udp_packet(kOut, port, kRemote, 53, {}, 63));
  // A low port keeps to 1..1023 (RFC 4787 REQ-3).
  forward(nat, t0, Side::Inside, udp_packet(kServer, 123, kRemote, 123), Side::Outside);
  Bytes low = forward(nat, t0, Side::Inside, udp_packet(kLaptop, 123, kRemote, 123), Side::Outside);
  std::uint16_t lport = std::uint16_t((low[20] << 8) | low[21]);
  EXPECT_NE(lport, 123);
  EXPECT_GE(lport, 1);
  EXPECT_LT(lport, 1024);
  // Forwarded ports are never handed out.
  Bytes f =
      forward(nat, t0, Side::Inside, tcp_packet(kLaptop, 3390, kRemote, 80, kSyn), Side::Outside);
  EXPECT_NE(std::uint16_t((f[20] << 8) | f[21]), 3390);
  EXPECT_EQ(nat.conntrack().size(), 5u);
}

TEST(NatEngine, PortForwardReachesTheInsideServer) {
  NatEngine nat(config());
  Bytes syn = tcp_packet(kRemote, 50000, kOut, 3390, kSyn, 77);
  EXPECT_EQ(forward(nat, t0, Side::Outside, syn, Side::Inside),
            tcp_packet(kRemote, 50000, kServer, 3389, kSyn, 77, 0, {}, 63));
  Bytes synack = tcp_packet(kServer, 3389, kRemote, 50000, kSyn | kAck, 900, 78);
  EXPECT_EQ(forward(nat, t0, Side::Inside, synack, Side::Outside),
            tcp_packet(kOut, 3390, kRemote, 50000, kSyn | kAck, 900, 78, {}, 63));
  // A range maps port for port.
  EXPECT_EQ(forward(nat, t0, Side::Outside, udp_packet(kRemote, 9, kOut, 6003), Side::Inside),
            udp_packet(kRemote, 9, kServer, 7003, {}, 63));
}

TEST(NatEngine, UnsolicitedInboundIsDroppedSilently) {
  NatEngine nat(config());
  Translation t = nat.translate(t0, Side::Outside, tcp_packet(kRemote, 50000, kOut, 4444, kSyn));
  EXPECT_EQ(t.action, Action::Drop);  // RFC 5382 REQ-4: no RST, nothing to the interface
  EXPECT_EQ(t.reason, DropReason::Unsolicited);
  t = nat.translate(t0, Side::Outside, tcp_packet(kRemote, 50000, kOut, 3390, kAck, 1, 1));
  EXPECT_EQ(t.action, Action::Drop);  // a forward opens with a SYN only
  t = nat.translate(t0, Side::Outside, udp_packet(kRemote, 1, kOut, 5000));
  EXPECT_EQ(t.action, Action::Drop);
  EXPECT_EQ(nat.counters().dropped[static_cast<int>(DropReason::Unsolicited)], 3u);
  EXPECT_EQ(nat.conntrack().size(), 0u);
  // Pings of the router itself are the router's.
  EXPECT_EQ(nat.translate(t0, Side::Outside, echo_packet(kRemote, kOut, true, 1, 1)).action,
            Action::Local);
}

TEST(NatEngine, FilteringChoosesWhoMayUseAMapping) {
  NatConfig c = config();
  NatEngine apdf(c);
  forward(apdf, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53), Side::Outside);
  EXPECT_EQ(apdf.translate(t0, Side::Outside, udp_packet(kRemote2, 53, kOut, 5000)).action,
            Action::Drop);
  c.filtering = Filtering::EndpointIndependent;
  NatEngine eif(c);
  forward(eif, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53), Side::Outside);
  EXPECT_EQ(forward(eif, t0, Side::Outside, udp_packet(kRemote2, 53, kOut, 5000), Side::Inside),
            udp_packet(kRemote2, 53, kServer, 5000, {}, 63));
  // The inside host's answer uses that flow and the same mapping.
  EXPECT_EQ(forward(eif, t0, Side::Inside, udp_packet(kServer, 5000, kRemote2, 53), Side::Outside),
            udp_packet(kOut, 5000, kRemote2, 53, {}, 63));
}

TEST(NatEngine, HairpinningShowsTheOutsideAddressToTheServer) {
  NatEngine nat(config());
  Bytes syn = tcp_packet(kLaptop, 5555, kOut, 3390, kSyn, 1);
  EXPECT_EQ(forward(nat, t0, Side::Inside, syn, Side::Inside),
            tcp_packet(kOut, 5555, kServer, 3389, kSyn, 1, 0, {}, 63));
  Bytes synack = tcp_packet(kServer, 3389, kOut, 5555, kSyn | kAck, 9, 2);
  EXPECT_EQ(forward(nat, t0, Side::Inside, synack, Side::Inside),
            tcp_packet(kOut, 3390, kLaptop, 5555, kSyn | kAck, 9, 2, {}, 63));
  EXPECT_EQ(nat.counters().hairpinned, 2u);
}

// RFC 4787 REQ-1: a forward's target that starts flows itself shows remotes
// the forward's external port, the one they reach it at (review finding 3).
TEST(NatEngine, ForwardTargetsKeepTheirForwardedPortOutbound) {
  NatEngine nat(config());
  EXPECT_EQ(
      forward(nat, t0, Side::Inside, udp_packet(kServer, 7003, kRemote, 51820), Side::Outside),
      udp_packet(kOut, 6003, kRemote, 51820, {}, 63));
  EXPECT_EQ(forward(nat, t0, Side::Inside, tcp_packet(kServer, 3389, kRemote2, 443, kSyn, 5),
                    Side::Outside),
            tcp_packet(kOut, 3390, kRemote2, 443, kSyn, 5, 0, {}, 63));
  EXPECT_EQ(nat.mappings().size(), 0u);  // the forward is the mapping
  // The remote's answer comes back through that flow.
  EXPECT_EQ(forward(nat, t0, Side::Outside, udp_packet(kRemote, 51820, kOut, 6003), Side::Inside),
            udp_packet(kRemote, 51820, kServer, 7003, {}, 63));
  // Another host's port 7003 is not a forward target: masqueraded as usual.
  EXPECT_EQ(forward(nat, t0, Side::Inside, udp_packet(kLaptop, 7003, kRemote, 9), Side::Outside),
            udp_packet(kOut, 7003, kRemote, 9, {}, 63));
}

// RFC 4787 REQ-9 / §6: two hosts behind the NAT that learned each other's
// external endpoints reach each other by hairpinning once both have sent
// (hole punching), with address-and-port-dependent filtering still applied
// (review finding 4).
TEST(NatEngine, HairpinningReachesMasqueradedMappingsOnceBothSent) {
  NatEngine nat(config());
  // Both learn their external endpoints (STUN): 5000 and 5001.
  forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 3478), Side::Outside);
  forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5001, kRemote, 3478), Side::Outside);
  // A to B's external endpoint: B never sent to A, so filtered.
  Translation t = nat.translate(t0, Side::Inside, udp_packet(kServer, 5000, kOut, 5001));
  EXPECT_EQ(t.action, Action::Drop);
  EXPECT_EQ(t.reason, DropReason::Unsolicited);
  // B to A's: A sent to B's, so it gets in, from B's external endpoint.
  EXPECT_EQ(forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5001, kOut, 5000), Side::Inside),
            udp_packet(kOut, 5001, kServer, 5000, {}, 63));
  // And A's next packet reaches B through that flow.
  EXPECT_EQ(forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kOut, 5001), Side::Inside),
            udp_packet(kOut, 5000, kLaptop, 5001, {}, 63));
  EXPECT_EQ(nat.counters().hairpinned, 2u);
  // A third host that never sent to A is still filtered.
  const Ipv4Address kThird(10, 0, 1, 77);
  EXPECT_EQ(nat.translate(t0, Side::Inside, udp_packet(kThird, 6000, kOut, 5000)).action,
            Action::Drop);
}

// With endpoint-independent filtering a hairpinned flow holds the target's
// mapping too: when the target's own flows end, its port is not freed while
// the hairpinned flow still uses it.
TEST(NatEngine, HairpinnedFlowsHoldTheTargetMapping) {
  NatConfig c = config();
  c.filtering = Filtering::EndpointIndependent;
  c.udp_timeout = std::chrono::seconds(100);
  NatEngine nat(c);
  forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5001, kRemote, 3478), Side::Outside);
  forward(nat, t0 + 50s, Side::Inside, udp_packet(kServer, 5000, kOut, 5001), Side::Inside);
  nat.expire(t0 + 120s);  // the STUN flow is gone, the hairpinned one is not
  EXPECT_EQ(nat.conntrack().size(), 1u);
  EXPECT_EQ(nat.mappings().size(), 2u);
  // Port 5001 is still the laptop's: another host does not get it.
  Bytes other = forward(nat, t0 + 120s, Side::Inside,
                        udp_packet(Ipv4Address(10, 0, 1, 77), 5001, kRemote, 9), Side::Outside);
  EXPECT_NE(std::uint16_t((other[20] << 8) | other[21]), 5001);
  EXPECT_EQ(
      forward(nat, t0 + 120s, Side::Inside, udp_packet(kLaptop, 5001, kOut, 5000), Side::Inside),
      udp_packet(kOut, 5001, kServer, 5000, {}, 63));
  nat.expire(t0 + 400s);
  EXPECT_EQ(nat.conntrack().size(), 0u);
  EXPECT_EQ(nat.mappings().size(), 0u);  // and nothing leaks
}

// RFC 1812 §5.3.5.2 / §5.3.7: no directed broadcast, no martian destination
// from inside; no martian, inside or own source from outside (review
// finding 5).
TEST(NatEngine, DirectedBroadcastsAndMartiansAreNotForwarded) {
  NatEngine nat(config());
  auto reason = [&](Side from, const Bytes& p) {
    Translation t = nat.translate(t0, from, p);
    EXPECT_EQ(t.action, Action::Drop);
    return t.reason;
  };
  EXPECT_EQ(reason(Side::Inside, udp_packet(kServer, 5000, Ipv4Address(203, 0, 113, 255), 9)),
            DropReason::Martian);
  for (Ipv4Address dst :
       {Ipv4Address(240, 0, 0, 1), Ipv4Address(127, 0, 0, 1), Ipv4Address(0, 1, 2, 3)})
    EXPECT_EQ(reason(Side::Inside, udp_packet(kServer, 5000, dst, 9)), DropReason::Martian);
  for (Ipv4Address src :
       {Ipv4Address(10, 0, 1, 99), Ipv4Address(127, 0, 0, 1), Ipv4Address(0, 0, 0, 5),
        Ipv4Address(224, 0, 0, 9), Ipv4Address(240, 1, 1, 1), kOut, Ipv4Address(203, 0, 113, 255)})
    EXPECT_EQ(reason(Side::Outside, udp_packet(src, 9, kOut, 6000)), DropReason::Martian)
        << src.to_string();
  EXPECT_EQ(nat.conntrack().size(), 0u);
  EXPECT_EQ(nat.counters().dropped[static_cast<int>(DropReason::Martian)], 11u);
  // A proper remote still gets through the forward.
  forward(nat, t0, Side::Outside, udp_packet(kRemote, 9, kOut, 6000), Side::Inside);
}

// Issue 14: SIGUSR1's table lists protocol, inside, outside, remote, state
// and timeout left, in that order.
TEST(NatEngine, TheTableListsColumnsInTheIssuesOrder) {
  NatEngine nat(config());
  forward(nat, t0, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kSyn), Side::Outside);
  EXPECT_EQ(nat.format_table(t0),
            "tcp  inside 10.0.1.201:40000      outside 203.0.113.2:40000     "
            "remote 198.51.100.7:80       SYN_SENT    timeout 240s\n");
}

// Two forwards to one inside endpoint, one remote endpoint using both: the
// second flow gets another remote port towards the inside host, as Linux
// does, instead of being dropped as a tuple clash (review finding 12).
TEST(NatEngine, TwoForwardsToOneEndpointFromOneRemoteEndpoint) {
  NatConfig c = config();
  std::string err;
  c.forwards.push_back(*PortForward::parse("tcp:80=10.0.1.201:80", &err));
  c.forwards.push_back(*PortForward::parse("tcp:8080=10.0.1.201:80", &err));
  NatEngine nat(c);
  EXPECT_EQ(
      forward(nat, t0, Side::Outside, tcp_packet(kRemote, 50000, kOut, 80, kSyn, 1), Side::Inside),
      tcp_packet(kRemote, 50000, kServer, 80, kSyn, 1, 0, {}, 63));
  Bytes second = forward(nat, t0, Side::Outside, tcp_packet(kRemote, 50000, kOut, 8080, kSyn, 9),
                         Side::Inside);
  std::uint16_t port = std::uint16_t((second[20] << 8) | second[21]);
  EXPECT_NE(port, 50000);
  EXPECT_EQ(second, tcp_packet(kRemote, port, kServer, 80, kSyn, 9, 0, {}, 63));
  // Each answer goes back through its own forward, to the remote's own port.
  EXPECT_EQ(forward(nat, t0, Side::Inside,
                    tcp_packet(kServer, 80, kRemote, port, kSyn | kAck, 70, 10), Side::Outside),
            tcp_packet(kOut, 8080, kRemote, 50000, kSyn | kAck, 70, 10, {}, 63));
  EXPECT_EQ(forward(nat, t0, Side::Inside,
                    tcp_packet(kServer, 80, kRemote, 50000, kSyn | kAck, 60, 2), Side::Outside),
            tcp_packet(kOut, 80, kRemote, 50000, kSyn | kAck, 60, 2, {}, 63));
}

TEST(NatEngine, IcmpEchoByIdentifier) {
  NatEngine nat(config());
  EXPECT_EQ(
      forward(nat, t0, Side::Inside, echo_packet(kServer, kRemote, true, 0x77, 1), Side::Outside),
      echo_packet(kOut, kRemote, true, 0x77, 1, 63));
  // A second host with the same identifier gets another one.
  Bytes out =
      forward(nat, t0, Side::Inside, echo_packet(kLaptop, kRemote, true, 0x77, 1), Side::Outside);
  std::uint16_t id = std::uint16_t((out[24] << 8) | out[25]);
  EXPECT_NE(id, 0x77);
  EXPECT_EQ(out, echo_packet(kOut, kRemote, true, id, 1, 63));
  EXPECT_EQ(forward(nat, t0, Side::Outside, echo_packet(kRemote, kOut, false, id, 1), Side::Inside),
            echo_packet(kRemote, kLaptop, false, 0x77, 1, 63));
  EXPECT_EQ(
      forward(nat, t0, Side::Outside, echo_packet(kRemote, kOut, false, 0x77, 1), Side::Inside),
      echo_packet(kRemote, kServer, false, 0x77, 1, 63));
}

TEST(NatEngine, IcmpErrorsTranslateTheQuotedPacket) {
  NatEngine nat(config());
  // kServer:5000 gets another external port, so the quote's port changes.
  forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5000, kRemote, 53), Side::Outside);
  Bytes orig = udp_packet(kServer, 5000, kRemote, 53);
  Bytes sent = forward(nat, t0, Side::Inside, orig, Side::Outside);
  // The remote host answers port unreachable, quoting what it got.
  Bytes err = icmp_error(kRemote, kOut, 3, 3, sent);
  Bytes got = forward(nat, t0, Side::Outside, err, Side::Inside);
  // As if the remote had answered the inside host directly (the quote keeps
  // the TTL the packet had on the far side).
  EXPECT_EQ(got, icmp_error(kRemote, kServer, 3, 3, with_ttl(orig, 63), 28, 63));
  // A router on the way reports time exceeded: its address stays.
  const Ipv4Address hop(192, 0, 2, 1);
  Bytes te = icmp_error(hop, kOut, 11, 0, sent);
  EXPECT_EQ(forward(nat, t0, Side::Outside, te, Side::Inside),
            icmp_error(hop, kServer, 11, 0, with_ttl(orig, 63), 28, 63));
  // A longer quote (Linux quotes up to 576 bytes): the quoted UDP checksum is
  // updated too.
  Bytes te_long = icmp_error(hop, kOut, 11, 0, sent, sent.size());
  EXPECT_EQ(forward(nat, t0, Side::Outside, te_long, Side::Inside),
            icmp_error(hop, kServer, 11, 0, with_ttl(orig, 63), orig.size(), 63));
  EXPECT_EQ(nat.counters().icmp_errors_translated, 3u);
  // An error about a TCP flow through a port forward, from the inside server.
  Bytes syn = tcp_packet(kRemote, 50000, kOut, 3390, kSyn);
  Bytes in = forward(nat, t0, Side::Outside, syn, Side::Inside);
  Bytes unreach = icmp_error(kServer, kRemote, 3, 3, in, in.size());
  EXPECT_EQ(forward(nat, t0, Side::Inside, unreach, Side::Outside),
            icmp_error(kOut, kRemote, 3, 3, with_ttl(syn, 63), syn.size(), 63));
}

TEST(NatEngine, TtlExpiryIsReported) {
  NatEngine nat(config());
  Translation t = nat.translate(t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53, {}, 1));
  EXPECT_EQ(t.action, Action::TtlExceeded);
  EXPECT_EQ(nat.conntrack().size(), 0u);
}

// RFC 1812 §5.3.1: an ICMP error whose TTL would reach 0 is discarded, not
// forwarded with TTL 0 (and not answered: no ICMP about ICMP errors).
TEST(NatEngine, IcmpErrorsWithTtlOneAreDiscarded) {
  NatEngine nat(config());
  Bytes sent =
      forward(nat, t0, Side::Inside, udp_packet(kServer, 5000, kRemote, 53), Side::Outside);
  for (std::uint8_t ttl : {0, 1}) {
    Translation in =
        nat.translate(t0, Side::Outside, icmp_error(kRemote, kOut, 3, 3, sent, 28, ttl));
    EXPECT_EQ(in.action, Action::Drop);
    EXPECT_EQ(in.reason, DropReason::TtlExpired);
  }
  Bytes syn = tcp_packet(kRemote, 50000, kOut, 3390, kSyn);
  Bytes fwd = forward(nat, t0, Side::Outside, syn, Side::Inside);
  Translation out = nat.translate(t0, Side::Inside, icmp_error(kServer, kRemote, 3, 3, fwd, 28, 1));
  EXPECT_EQ(out.action, Action::Drop);
  EXPECT_EQ(out.reason, DropReason::TtlExpired);
  EXPECT_EQ(nat.counters().dropped[static_cast<int>(DropReason::TtlExpired)], 3u);
  EXPECT_EQ(nat.counters().icmp_errors_translated, 0u);
  // With TTL 2 the same error goes through, leaving with TTL 1.
  Bytes ok =
      forward(nat, t0, Side::Outside, icmp_error(kRemote, kOut, 3, 3, sent, 28, 2), Side::Inside);
  EXPECT_EQ(ok[8], 1);
}

TEST(NatEngine, SpoofedAndOnLinkPacketsAreDropped) {
  NatEngine nat(config());
  EXPECT_EQ(nat.translate(t0, Side::Inside, udp_packet(kRemote, 1, kRemote2, 2)).reason,
            DropReason::Spoofed);
  EXPECT_EQ(nat.translate(t0, Side::Inside, udp_packet(kServer, 1, kLaptop, 2)).reason,
            DropReason::NotOurs);
  EXPECT_EQ(nat.translate(t0, Side::Outside, udp_packet(kRemote, 1, kRemote2, 2)).reason,
            DropReason::NotOurs);
  EXPECT_EQ(nat.translate(t0, Side::Inside, udp_packet(kServer, 1, Ipv4Address(10, 0, 1, 1), 5351))
                .action,
            Action::Local);
}

// Issue 15: the outside address comes from DHCP and changes.
TEST(NatEngine, OutsideAddressChangeDropsEveryFlowAndMapping) {
  NatEngine nat(config());
  forward(nat, t0, Side::Inside, tcp_packet(kServer, 40000, kRemote, 80, kSyn, 1000),
          Side::Outside);
  forward(nat, t0, Side::Inside, udp_packet(kLaptop, 5000, kRemote, 53), Side::Outside);
  forward(nat, t0, Side::Outside, tcp_packet(kRemote, 50000, kOut, 3390, kSyn, 7), Side::Inside);
  ASSERT_EQ(nat.conntrack().size(), 3u);
  ASSERT_EQ(nat.mappings().size(), 2u);
  const Ipv4Address kNew(192, 0, 2, 77);
  EXPECT_EQ(nat.set_outside({kNew, 24}), 3u);
  EXPECT_EQ(nat.conntrack().size(), 0u);
  EXPECT_EQ(nat.mappings().size(), 0u);
  EXPECT_EQ(nat.ports().used(Protocol::Udp), 10u);  // the forward's 6000-6009 stay reserved
  // The old address's flows are gone: the server's answer is not translated.
  Translation late = nat.translate(t0 + 1s, Side::Outside,
                                   tcp_packet(kRemote, 80, kOut, 40000, kSyn | kAck, 5, 1001));
  EXPECT_EQ(late.action, Action::Drop);
  // Masquerade and forwards use the new address.
  EXPECT_EQ(
      forward(nat, t0 + 1s, Side::Inside, udp_packet(kLaptop, 5000, kRemote, 53), Side::Outside),
      udp_packet(kNew, 5000, kRemote, 53, {}, 63));
  forward(nat, t0 + 1s, Side::Outside, tcp_packet(kRemote, 50001, kNew, 3390, kSyn, 7),
          Side::Inside);
}

TEST(NatEngine, WithoutAnOutsideAddressOutboundIsDroppedAndDhcpIsLocal) {
  NatEngine nat(config());
  nat.set_outside({Ipv4Address(), 32});
  EXPECT_FALSE(nat.has_outside_address());
  Translation t = nat.translate(t0, Side::Inside, udp_packet(kLaptop, 5000, kRemote, 53));
  EXPECT_EQ(t.action, Action::Drop);
  EXPECT_EQ(t.reason, DropReason::NoAddress);
  // A DHCP OFFER unicast to the address being offered reaches the router.
  EXPECT_EQ(nat.translate(t0, Side::Outside,
                          udp_packet(Ipv4Address(10, 9, 7, 1), 67, Ipv4Address(10, 9, 7, 50), 68))
                .action,
            Action::Local);
  EXPECT_EQ(nat.translate(t0, Side::Outside, tcp_packet(kRemote, 1, kOut, 3390, kSyn, 7)).action,
            Action::Drop);
}

TEST(NatEngine, TheRoutersOwnPortsAreNeverMappedAndTheirAnswersAreLocal) {
  NatConfig c = config();
  c.local_ports = std::pair<std::uint16_t, std::uint16_t>{61000, 61999};
  NatEngine nat(c);
  // An inside endpoint on 61500 gets another external port.
  Bytes out =
      forward(nat, t0, Side::Inside, udp_packet(kLaptop, 61500, kRemote, 53), Side::Outside);
  std::uint16_t port = static_cast<std::uint16_t>(out[20] << 8 | out[21]);
  EXPECT_TRUE(port < 61000 || port > 61999) << port;
  // A DNS answer to the router's own socket on 61234.
  EXPECT_EQ(nat.translate(t0, Side::Outside, udp_packet(kRemote, 53, kOut, 61234)).action,
            Action::Local);
}

}  // namespace
}  // namespace synack::nat
