// The router on two real Interfaces: forwarding through the packet hooks and
// queue_packet(), TTL expiry and fragmentation needed answered with ICMP,
// and the router's own address answering pings.
#include <gtest/gtest.h>

#include <deque>

#include "apps/nat/nat_router.hpp"
#include "nat_test_packets.hpp"
#include "socket/stack.hpp"
#include "wire/bytes.hpp"

namespace synack::nat {
namespace {

using namespace synack::nat::testing;
using wire::Ipv4Address;

const Ipv4Address kOut(203, 0, 113, 2), kIn(10, 0, 1, 1);
const Ipv4Address kServer(10, 0, 1, 201), kRemote(198, 51, 100, 7);
const Instant t0 = instant_from_us(1'000'000);

class FakeDevice final : public iface::Device {
 public:
  explicit FakeDevice(std::size_t mtu = 1500) : mtu_(mtu) {}
  iface::DeviceCaps caps() const override { return {mtu_, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (inbox.empty()) return std::nullopt;
    current_ = std::move(inbox.front());
    inbox.pop_front();
    return current_;
  }
  void transmit(Instant, std::span<const std::uint8_t> f) override {
    sent.emplace_back(f.begin(), f.end());
  }
  std::deque<Bytes> inbox;
  std::vector<Bytes> sent;

 private:
  std::size_t mtu_;
  Bytes current_;
};

struct Fixture {
  explicit Fixture(std::size_t outside_mtu = 1500)
      : out_dev(outside_mtu),
        inside(cfg({kIn, 24}, 1500)),
        outside(cfg({kOut, 24}, outside_mtu)),
        router(nat_config(), inside.interface(), outside.interface()) {}
  static iface::InterfaceConfig cfg(wire::Ipv4Cidr a, std::size_t mtu) {
    iface::InterfaceConfig c;
    c.address = a;
    c.mtu = mtu;
    return c;
  }
  static NatConfig nat_config() {
    NatConfig c;
    c.outside = {kOut, 24};
    c.inside = {kIn, 24};
    return c;
  }
  void poll(Instant now) {
    for (int i = 0; i < 3; ++i) {
      inside.poll(now, in_dev);
      outside.poll(now, out_dev);
    }
  }
  FakeDevice in_dev, out_dev;
  socket::Stack inside, outside;
  NatRouter router;
};

TEST(NatRouter, ForwardsBothWays) {
  Fixture f;
  f.in_dev.inbox.push_back(udp_packet(kServer, 5000, kRemote, 53));
  f.poll(t0);
  ASSERT_EQ(f.out_dev.sent.size(), 1u);
  EXPECT_EQ(f.out_dev.sent[0], udp_packet(kOut, 5000, kRemote, 53, {}, 63));
  f.out_dev.inbox.push_back(udp_packet(kRemote, 53, kOut, 5000));
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 1u);
  EXPECT_EQ(f.in_dev.sent[0], udp_packet(kRemote, 53, kServer, 5000, {}, 63));
  EXPECT_EQ(f.router.counters().forwarded, 2u);
}

TEST(NatRouter, UnsolicitedSynGetsNoReset) {
  Fixture f;
  f.out_dev.inbox.push_back(tcp_packet(kRemote, 4000, kOut, 22, 0x02));
  f.poll(t0);
  EXPECT_TRUE(f.out_dev.sent.empty());  // the outside stack would have sent a RST
  EXPECT_TRUE(f.in_dev.sent.empty());
}

TEST(NatRouter, TtlExpiryAnswersTimeExceeded) {
  Fixture f;
  Bytes p = udp_packet(kServer, 5000, kRemote, 33434, {}, 1);
  f.in_dev.inbox.push_back(p);
  f.poll(t0);
  EXPECT_TRUE(f.out_dev.sent.empty());
  ASSERT_EQ(f.in_dev.sent.size(), 1u);
  // From the router's inside address, quoting the whole (small) packet;
  // compared from the addresses on (the router's header has DF clear).
  Bytes want = icmp_error(kIn, kServer, 11, 0, p, p.size());
  const Bytes& got = f.in_dev.sent[0];
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin() + 12, got.end(), want.begin() + 12));
  EXPECT_EQ(got[9], 1);
  EXPECT_TRUE(checksums_valid(got));
  EXPECT_EQ(f.router.counters().time_exceeded_sent, 1u);
}

TEST(NatRouter, TooBigWithDontFragmentAnswersFragmentationNeeded) {
  Fixture f(576);
  std::vector<std::uint8_t> big(1000, 7);
  Bytes p = udp_packet(kServer, 5000, kRemote, 9, big);
  f.in_dev.inbox.push_back(p);
  f.poll(t0);
  EXPECT_TRUE(f.out_dev.sent.empty());
  ASSERT_EQ(f.in_dev.sent.size(), 1u);
  const Bytes& e = f.in_dev.sent[0];
  EXPECT_EQ(e[20], 3);                   // destination unreachable
  EXPECT_EQ(e[21], 4);                   // fragmentation needed
  EXPECT_EQ((e[26] << 8) | e[27], 576);  // next-hop MTU
  EXPECT_EQ(e.size(), 576u);             // quote cut to 576 bytes (RFC 1812 §4.3.2.3)
  EXPECT_TRUE(checksums_valid(e));
  EXPECT_EQ(f.router.counters().frag_needed_sent, 1u);
}

// An inside host's connect() to a closed port of the outside address is
// refused with a RST (RFC 9293 §3.10.7.1), as a host would, rather than left
// to time out (review finding 9); its TTL-1 ping of that address is
// answered, not reported as expired.
TEST(NatRouter, InsideHostsGetARstForClosedOutsidePortsAndPingsAtTtlOne) {
  Fixture f;
  f.in_dev.inbox.push_back(tcp_packet(kServer, 40000, kOut, 22, 0x02, 1000));
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 1u);
  const Bytes& r = f.in_dev.sent[0];
  EXPECT_TRUE(checksums_valid(r));
  ASSERT_EQ(r.size(), 40u);
  EXPECT_EQ(r[9], 6);
  EXPECT_TRUE(std::equal(r.begin() + 12, r.begin() + 20,
                         tcp_packet(kOut, 22, kServer, 40000, 0).begin() + 12));
  EXPECT_EQ((r[20] << 8) | r[21], 22);
  EXPECT_EQ((r[22] << 8) | r[23], 40000);
  EXPECT_EQ(wire::load_be32(r, 24), 0u);     // SEQ=0
  EXPECT_EQ(wire::load_be32(r, 28), 1001u);  // ACK=SEG.SEQ+SEG.LEN
  EXPECT_EQ(r[33], 0x14);                    // RST, ACK
  EXPECT_TRUE(f.out_dev.sent.empty());
  EXPECT_EQ(f.router.counters().resets_sent, 1u);
  // From outside the same SYN stays unanswered (RFC 5382 REQ-4).
  f.out_dev.inbox.push_back(tcp_packet(kRemote, 40000, kOut, 22, 0x02, 1000));
  f.poll(t0);
  EXPECT_TRUE(f.out_dev.sent.empty());
  EXPECT_EQ(f.in_dev.sent.size(), 1u);
  // A TTL-1 ping of the outside address: an echo reply.
  f.in_dev.inbox.push_back(echo_packet(kServer, kOut, true, 3, 9, 1));
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 2u);
  EXPECT_EQ(f.in_dev.sent[1][20], 0);  // echo reply, not time exceeded (11)
  EXPECT_EQ(f.router.counters().time_exceeded_sent, 0u);
}

TEST(NatRouter, TheRouterAnswersPingsOnBothAddresses) {
  Fixture f;
  f.in_dev.inbox.push_back(echo_packet(kServer, kIn, true, 1, 1));
  f.out_dev.inbox.push_back(echo_packet(kRemote, kOut, true, 2, 1));
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 1u);
  ASSERT_EQ(f.out_dev.sent.size(), 1u);
  EXPECT_EQ(f.in_dev.sent[0][20], 0);  // echo reply
  EXPECT_EQ(f.out_dev.sent[0][20], 0);
  // The outside address from inside: answered by the router.
  f.in_dev.inbox.push_back(echo_packet(kServer, kOut, true, 3, 9));
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 2u);
  Bytes want = echo_packet(kOut, kServer, false, 3, 9);
  const Bytes& got = f.in_dev.sent[1];
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin() + 12, got.end(), want.begin() + 12));
  EXPECT_TRUE(checksums_valid(got));
  EXPECT_EQ(f.router.counters().echo_replies, 1u);
}

// RFC 4787 REQ-14: a datagram bigger than the MTU crosses the NAT both ways,
// its fragments arriving out of order; it leaves translated, in fragments
// no bigger than it came in.
TEST(NatRouter, FragmentedDatagramsCrossTranslatedBothWays) {
  Fixture f;
  Bytes data(4000);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i);
  Bytes out_dgram = without_df(udp_packet(kServer, 5000, kRemote, 53, data));
  auto frags = split(out_dgram, {1480, 1480});
  f.in_dev.inbox.push_back(frags[2]);
  f.in_dev.inbox.push_back(frags[0]);
  f.in_dev.inbox.push_back(frags[1]);
  f.poll(t0);
  EXPECT_EQ(f.out_dev.sent,
            split(without_df(udp_packet(kOut, 5000, kRemote, 53, data, 63)), {1480, 1480}));
  EXPECT_EQ(f.router.counters().fragmented, 1u);
  EXPECT_EQ(f.router.counters().fragments_sent, 3u);
  // The answer, in smaller fragments, last first.
  Bytes in_dgram = without_df(udp_packet(kRemote, 53, kOut, 5000, data));
  auto back = split(in_dgram, {1008, 1008, 1008});
  for (auto it = back.rbegin(); it != back.rend(); ++it)
    f.out_dev.inbox.push_back(*it);
  f.poll(t0);
  EXPECT_EQ(f.in_dev.sent, split(without_df(udp_packet(kRemote, 53, kServer, 5000, data, 63)),
                                 {1008, 1008, 1008}));
  EXPECT_EQ(f.router.reassembler().counters().reassembled, 2u);
  EXPECT_EQ(f.router.reassembler().datagrams(), 0u);
}

// A datagram that fits in fragments but not whole is fragmented on egress
// (RFC 1812 §5.2.6) rather than dropped.
TEST(NatRouter, TooBigWithoutDontFragmentIsFragmented) {
  Fixture f(576);
  std::vector<std::uint8_t> big(1000, 7);
  f.in_dev.inbox.push_back(without_df(udp_packet(kServer, 5000, kRemote, 9, big)));
  f.poll(t0);
  EXPECT_TRUE(f.in_dev.sent.empty());
  EXPECT_EQ(f.out_dev.sent, split(without_df(udp_packet(kOut, 5000, kRemote, 9, big, 63)), {552}));
  EXPECT_EQ(f.router.counters().too_big_dropped, 0u);
}

// RFC 1812 §4.3.2.8: the router's ICMP errors are rate-limited — a burst of
// 6 per destination, then one a second (review finding 8).
TEST(NatRouter, TimeExceededIsRateLimited) {
  Fixture f;
  for (int i = 0; i < 20; ++i)
    f.in_dev.inbox.push_back(udp_packet(kServer, 5000, kRemote, std::uint16_t(33434 + i), {}, 1));
  f.poll(t0);
  EXPECT_EQ(f.in_dev.sent.size(), 6u);
  EXPECT_EQ(f.router.counters().time_exceeded_sent, 6u);
  EXPECT_EQ(f.router.counters().icmp_rate_limited, 14u);
  // Another inside host has its own bucket.
  f.in_dev.inbox.push_back(udp_packet(Ipv4Address(10, 0, 1, 50), 5000, kRemote, 33434, {}, 1));
  f.poll(t0);
  EXPECT_EQ(f.in_dev.sent.size(), 7u);
  // A second later, one more.
  for (int i = 0; i < 3; ++i)
    f.in_dev.inbox.push_back(udp_packet(kServer, 5000, kRemote, 33434, {}, 1));
  f.poll(t0 + std::chrono::seconds(1));
  EXPECT_EQ(f.in_dev.sent.size(), 8u);
}

// A 3000-byte ping of the outside address from inside, in fragments: the
// router's reply is fragmented too, and reassembles to the exact echo reply.
TEST(NatRouter, ABigPingOfTheOutsideAddressIsAnsweredInFragments) {
  Fixture f;
  wire::IcmpRepr i;
  i.type = wire::IcmpType::EchoRequest;
  i.ident = 7;
  i.seq_no = 1;
  Bytes data(3000, 0x5a);
  i.data = data;
  Bytes m(i.total_len());
  i.emit(m);
  Bytes req = without_df(ip_packet(kServer, kOut, wire::IpProtocol::Icmp, m));
  for (const Bytes& frag : split(req, {1480}))
    f.in_dev.inbox.push_back(frag);
  f.poll(t0);
  ASSERT_EQ(f.in_dev.sent.size(), 3u);  // 3028 bytes at a 1500-byte MTU
  FragmentReassembler r;
  std::optional<FragmentReassembler::Datagram> d;
  for (const Bytes& frag : f.in_dev.sent) {
    EXPECT_LE(frag.size(), 1500u);
    if (auto got = r.add(t0, frag)) d = got;
  }
  ASSERT_TRUE(d);
  Bytes reply(d->packet.begin(), d->packet.end());
  EXPECT_TRUE(checksums_valid(reply));
  EXPECT_EQ(reply[20], 0);                                                  // echo reply
  EXPECT_TRUE(std::equal(reply.begin() + 24, reply.end(), m.begin() + 4));  // id, seq, data
  EXPECT_EQ(f.router.counters().echo_replies, 1u);
  // RFC 791: the next reply's fragments carry another identification, so a
  // host that lost one fragment never mixes two replies.
  req[4] = static_cast<std::uint8_t>(req[4] + 1);
  req[10] = req[11] = 0;
  std::uint16_t sum = wire::internet_checksum(std::span<const std::uint8_t>(req).first(20));
  req[10] = std::uint8_t(sum >> 8);
  req[11] = std::uint8_t(sum);
  for (const Bytes& frag : split(req, {1480}))
    f.in_dev.inbox.push_back(frag);
  f.poll(t0 + std::chrono::milliseconds(1));
  ASSERT_EQ(f.in_dev.sent.size(), 6u);
  auto ident = [](const Bytes& b) { return (b[4] << 8) | b[5]; };
  EXPECT_EQ(ident(f.in_dev.sent[0]), ident(f.in_dev.sent[2]));
  EXPECT_EQ(ident(f.in_dev.sent[3]), ident(f.in_dev.sent[5]));
  EXPECT_NE(ident(f.in_dev.sent[0]), ident(f.in_dev.sent[3]));
}

}  // namespace
}  // namespace synack::nat
