// RFC 5227 probing of a leased address on a virtual clock: exact probe
// bytes and instants, and each kind of ARP packet that is (or is not) a
// conflict.
#include "dhcp/arp_probe.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "wire/arp.hpp"

namespace synack::dhcp {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;
using wire::MacAddress;

const MacAddress kMac(2, 0, 0, 0, 0, 7);
const MacAddress kOther(2, 0, 0, 0, 0, 0x99);
const Ipv4Address kCandidate(10, 9, 0, 50);

Instant at(Duration d) {
  return Instant(d);
}

// No randomness: probes at 0, 1 and 2 s, free at 4 s.
ArpProbeConfig fixed() {
  ArpProbeConfig c;
  c.probe_wait = 0s;
  c.probe_min = c.probe_max = 1s;
  return c;
}

std::vector<std::uint8_t> arp_frame(wire::ArpOperation op, MacAddress from, Ipv4Address sender,
                                    Ipv4Address target) {
  std::vector<std::uint8_t> f(wire::EthernetRepr::kMinFrameLen, 0);
  wire::EthernetRepr{MacAddress::broadcast(), from, wire::EtherType::Arp}.emit(f);
  wire::ArpRepr{op, from, sender, MacAddress(), target}.emit(
      std::span(f).subspan(wire::EthernetRepr::kHeaderLen));
  return f;
}

// Runs the prober until it settles; returns the instants frames were sent.
std::vector<Instant> run(ArpProbe& p, std::vector<std::vector<std::uint8_t>>* frames = nullptr) {
  std::vector<Instant> sent;
  while (p.poll_at() != kNever) {
    Instant t = p.poll_at();
    p.on_timer(t);
    while (auto f = p.pop_frame()) {
      sent.push_back(t);
      if (frames) frames->push_back(std::move(*f));
    }
  }
  return sent;
}

TEST(ArpProbe, ThreeProbesThenFreeAtExactInstants) {
  ArpProbe p(kMac, 1, fixed());
  p.start(at(10s), kCandidate);
  EXPECT_EQ(p.result(), ArpProbe::Result::Pending);
  std::vector<std::vector<std::uint8_t>> frames;
  auto sent = run(p, &frames);
  EXPECT_EQ(sent, (std::vector<Instant>{at(10s), at(11s), at(12s)}));
  EXPECT_EQ(p.result(), ArpProbe::Result::Free);
  // RFC 5227 §2.1.1: broadcast ARP request, sender IP 0, target the
  // candidate, target MAC zero, padded to the minimum frame.
  auto want = arp_frame(wire::ArpOperation::Request, kMac, Ipv4Address(), kCandidate);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], want);
}

TEST(ArpProbe, FreeTwoSecondsAfterTheLastProbe) {
  ArpProbe p(kMac, 1, fixed());
  p.start(at(0s), kCandidate);
  run(p);
  p.start(at(0s), kCandidate);
  for (Instant t : {at(0s), at(1s), at(2s)})
    p.on_timer(t);
  EXPECT_EQ(p.poll_at(), at(4s));  // ANNOUNCE_WAIT
  p.on_timer(at(3999ms));
  EXPECT_EQ(p.result(), ArpProbe::Result::Pending);
  p.on_timer(at(4s));
  EXPECT_EQ(p.result(), ArpProbe::Result::Free);
}

TEST(ArpProbe, RandomWaitsStayInTheirRanges) {
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    ArpProbe p(kMac, seed);
    p.start(at(0s), kCandidate);
    Instant first = p.poll_at();
    EXPECT_LE(first, at(1s)) << seed;
    auto sent = run(p);
    ASSERT_EQ(sent.size(), 3u);
    for (std::size_t i = 1; i < 3; ++i) {
      EXPECT_GE(sent[i] - sent[i - 1], 1s) << seed;
      EXPECT_LE(sent[i] - sent[i - 1], 2s) << seed;
    }
  }
}

TEST(ArpProbe, ConflictsAndNonConflicts) {
  auto probe_with = [](const std::vector<std::uint8_t>& frame) {
    ArpProbe p(kMac, 1, fixed());
    p.start(at(0s), kCandidate);
    p.on_timer(at(0s));
    p.on_frame(at(500ms), frame);
    return p;
  };
  using Op = wire::ArpOperation;
  // The holder answers our probe.
  auto reply = probe_with(arp_frame(Op::Reply, kOther, kCandidate, Ipv4Address()));
  EXPECT_EQ(reply.result(), ArpProbe::Result::Conflict);
  EXPECT_EQ(reply.conflict_mac(), kOther);
  EXPECT_EQ(reply.poll_at(), kNever);
  // Any request from the address (the holder asking for someone).
  EXPECT_EQ(
      probe_with(arp_frame(Op::Request, kOther, kCandidate, Ipv4Address(10, 9, 0, 1))).result(),
      ArpProbe::Result::Conflict);
  // Another host probing for the same address.
  EXPECT_EQ(probe_with(arp_frame(Op::Request, kOther, Ipv4Address(), kCandidate)).result(),
            ArpProbe::Result::Conflict);
  // Not conflicts: our own probe looped back, another host's probe for
  // another address, a request for the candidate from another address.
  EXPECT_EQ(probe_with(arp_frame(Op::Request, kMac, Ipv4Address(), kCandidate)).result(),
            ArpProbe::Result::Pending);
  EXPECT_EQ(
      probe_with(arp_frame(Op::Request, kOther, Ipv4Address(), Ipv4Address(10, 9, 0, 51))).result(),
      ArpProbe::Result::Pending);
  EXPECT_EQ(
      probe_with(arp_frame(Op::Request, kOther, Ipv4Address(10, 9, 0, 1), kCandidate)).result(),
      ArpProbe::Result::Pending);
  // Not ARP at all.
  auto ip = arp_frame(Op::Reply, kOther, kCandidate, Ipv4Address());
  ip[12] = 0x08;
  ip[13] = 0x00;
  EXPECT_EQ(probe_with(ip).result(), ArpProbe::Result::Pending);
}

}  // namespace
}  // namespace synack::dhcp
