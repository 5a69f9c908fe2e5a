// Neighbors, the ARP cache (RFC 826, RFC 1122 §2.3.2), on a virtual clock:
// resolution with retransmissions and give-up, held packets, RFC 826 merge,
// expiry with unicast confirmation, and the table bound.
#include "iface/neighbor_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace synack::iface {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;
using wire::MacAddress;

const Ipv4Address kPeer(10, 0, 0, 2);
const MacAddress kPeerMac(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const MacAddress kNewMac(0x52, 0x54, 0x00, 0xab, 0xcd, 0xef);

std::vector<std::uint8_t> packet(std::uint8_t tag) {
  return std::vector<std::uint8_t>(20, tag);
}

Instant at(Duration d) {
  return Instant{} + d;
}

struct Fixture {
  explicit Fixture(NeighborConfig cfg = {}) : n(cfg) {}
  // Runs on_timers at `t`; returns the requests asked for.
  std::vector<ArpRequest> timers(Instant t) {
    std::vector<ArpRequest> out;
    n.on_timers(t, out);
    return out;
  }
  Neighbors n;
};

TEST(IfaceNeighborCache, FirstPacketHeldAndBroadcastRequested) {
  Fixture f;
  auto d = f.n.send(at(0s), kPeer, packet(1));
  EXPECT_FALSE(d.mac);
  ASSERT_TRUE(d.request);
  EXPECT_EQ(*d.request, (ArpRequest{kPeer, std::nullopt}));
  EXPECT_EQ(f.n.held(kPeer), 1u);
  EXPECT_EQ(f.n.next_deadline(), at(1s));
  // A second packet waits too, without another request.
  d = f.n.send(at(100ms), kPeer, packet(2));
  EXPECT_FALSE(d.mac);
  EXPECT_FALSE(d.request);
  EXPECT_EQ(f.n.held(kPeer), 2u);
  EXPECT_EQ(f.n.counters().requests, 1u);
}

TEST(IfaceNeighborCache, ReplyReleasesHeldPacketsInOrder) {
  Fixture f;
  f.n.send(at(0s), kPeer, packet(1));
  f.n.send(at(0s), kPeer, packet(2));
  // The entry exists (incomplete), so the merge fills it in even without create.
  auto released = f.n.learn(at(300ms), kPeer, kPeerMac, false);
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0], packet(1));
  EXPECT_EQ(released[1], packet(2));
  EXPECT_EQ(f.n.held(kPeer), 0u);
  EXPECT_EQ(f.n.lookup(at(300ms), kPeer), kPeerMac);
  EXPECT_EQ(f.n.next_deadline(), kNever);
  EXPECT_EQ(f.n.counters().resolved, 1u);
  auto d = f.n.send(at(1s), kPeer, packet(3));
  EXPECT_EQ(d.mac, kPeerMac);
  EXPECT_FALSE(d.request);
}

TEST(IfaceNeighborCache, RetransmitsEverySecondThenDropsHeldPackets) {
  Fixture f;
  f.n.send(at(0s), kPeer, packet(1));
  f.n.send(at(0s), kPeer, packet(2));
  EXPECT_TRUE(f.timers(at(999ms)).empty());
  auto r = f.timers(at(1s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (ArpRequest{kPeer, std::nullopt}));
  EXPECT_EQ(f.n.next_deadline(), at(2s));
  EXPECT_EQ(f.timers(at(2s)).size(), 1u);
  EXPECT_EQ(f.n.counters().requests, 3u);
  EXPECT_EQ(f.n.next_deadline(), at(3s));
  // Three requests unanswered: the entry and its packets go.
  EXPECT_TRUE(f.timers(at(3s)).empty());
  EXPECT_EQ(f.n.size(), 0u);
  EXPECT_EQ(f.n.counters().unresolved_drops, 2u);
  EXPECT_EQ(f.n.counters().unreachable, 1u);
  EXPECT_EQ(f.n.next_deadline(), kNever);
  // The next packet starts over.
  EXPECT_TRUE(f.n.send(at(4s), kPeer, packet(3)).request);
}

TEST(IfaceNeighborCache, HoldsAtMostMaxHeldDroppingTheOldest) {
  Fixture f;
  for (std::uint8_t i = 1; i <= 6; ++i)
    f.n.send(at(0s), kPeer, packet(i));
  EXPECT_EQ(f.n.held(kPeer), 4u);
  EXPECT_EQ(f.n.counters().held_drops, 2u);
  auto released = f.n.learn(at(0s), kPeer, kPeerMac, true);
  ASSERT_EQ(released.size(), 4u);
  EXPECT_EQ(released.front(), packet(3));
  EXPECT_EQ(released.back(), packet(6));
}

TEST(IfaceNeighborCache, MergeUpdatesButOnlyCreatesWhenAddressedToUs) {
  Fixture f;
  // RFC 826: a request for someone else adds nothing...
  EXPECT_TRUE(f.n.learn(at(0s), kPeer, kPeerMac, false).empty());
  EXPECT_EQ(f.n.size(), 0u);
  // ...one for us adds the sender...
  f.n.learn(at(0s), kPeer, kPeerMac, true);
  EXPECT_EQ(f.n.lookup(at(0s), kPeer), kPeerMac);
  // ...and later packets from it, for anyone, update the entry.
  f.n.learn(at(10s), kPeer, kNewMac, false);
  EXPECT_EQ(f.n.lookup(at(10s), kPeer), kNewMac);
  EXPECT_EQ(f.n.counters().learned, 2u);
  EXPECT_EQ(f.n.counters().resolved, 0u);
  EXPECT_EQ(f.n.next_deadline(), kNever);  // expiry needs no wakeup
}

TEST(IfaceNeighborCache, ExpiredEntryIsUsedWhileConfirmedByUnicast) {
  NeighborConfig cfg;
  cfg.reachable_time = 30s;
  Fixture f(cfg);
  f.n.learn(at(0s), kPeer, kPeerMac, true);
  EXPECT_EQ(f.n.lookup(at(29s), kPeer), kPeerMac);
  EXPECT_FALSE(f.n.lookup(at(30s), kPeer));
  // Traffic after expiry still goes out, with a unicast poll (RFC 1122).
  auto d = f.n.send(at(31s), kPeer, packet(1));
  EXPECT_EQ(d.mac, kPeerMac);
  ASSERT_TRUE(d.request);
  EXPECT_EQ(*d.request, (ArpRequest{kPeer, kPeerMac}));
  d = f.n.send(at(31500ms), kPeer, packet(2));
  EXPECT_EQ(d.mac, kPeerMac);
  EXPECT_FALSE(d.request);
  auto r = f.timers(at(32s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (ArpRequest{kPeer, kPeerMac}));
  // The answer makes it reachable for another 30 s.
  f.n.learn(at(32500ms), kPeer, kPeerMac, false);
  EXPECT_EQ(f.n.lookup(at(62s), kPeer), kPeerMac);
  EXPECT_EQ(f.n.next_deadline(), kNever);
}

TEST(IfaceNeighborCache, UnconfirmedEntryIsDeleted) {
  Fixture f;
  f.n.learn(at(0s), kPeer, kPeerMac, true);
  EXPECT_TRUE(f.n.send(at(60s), kPeer, packet(1)).request);
  EXPECT_EQ(f.timers(at(61s)).size(), 1u);
  EXPECT_EQ(f.timers(at(62s)).size(), 1u);
  EXPECT_TRUE(f.timers(at(63s)).empty());
  EXPECT_EQ(f.n.size(), 0u);
  EXPECT_EQ(f.n.counters().unreachable, 1u);
  EXPECT_EQ(f.n.counters().unresolved_drops, 0u);  // nothing was held
  auto d = f.n.send(at(64s), kPeer, packet(2));
  EXPECT_FALSE(d.mac);
  EXPECT_EQ(d.request, (ArpRequest{kPeer, std::nullopt}));
}

TEST(IfaceNeighborCache, ConfigurableRetriesAndInterval) {
  NeighborConfig cfg;
  cfg.retransmit_interval = 250ms;
  cfg.max_requests = 2;
  cfg.max_held = 1;
  Fixture f(cfg);
  f.n.send(at(0s), kPeer, packet(1));
  f.n.send(at(0s), kPeer, packet(2));
  EXPECT_EQ(f.n.held(kPeer), 1u);
  EXPECT_EQ(f.timers(at(250ms)).size(), 1u);
  EXPECT_TRUE(f.timers(at(500ms)).empty());
  EXPECT_EQ(f.n.counters().unresolved_drops, 1u);
}

TEST(IfaceNeighborCache, HoldingNothingStillResolves) {
  NeighborConfig cfg;
  cfg.max_held = 0;
  Fixture f(cfg);
  EXPECT_TRUE(f.n.send(at(0s), kPeer, packet(1)).request);
  EXPECT_FALSE(f.n.send(at(0s), kPeer, packet(2)).request);
  EXPECT_EQ(f.n.held(kPeer), 0u);
  EXPECT_EQ(f.n.counters().held_drops, 2u);
  EXPECT_TRUE(f.n.learn(at(1ms), kPeer, kPeerMac, false).empty());
  EXPECT_EQ(f.n.send(at(2ms), kPeer, packet(3)).mac, kPeerMac);
}

TEST(IfaceNeighborCache, DeadlineIsTheEarliestPendingRequest) {
  Fixture f;
  Ipv4Address other(10, 0, 0, 3);
  f.n.send(at(0s), kPeer, packet(1));
  f.n.send(at(400ms), other, packet(2));
  EXPECT_EQ(f.n.next_deadline(), at(1s));
  auto r = f.timers(at(1s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].target, kPeer);
  EXPECT_EQ(f.n.next_deadline(), at(1400ms));
  f.n.learn(at(1200ms), other, kNewMac, false);
  EXPECT_EQ(f.n.next_deadline(), at(2s));
}

TEST(IfaceNeighborCache, FullTableEvictsTheOldestAnswerOrDrops) {
  NeighborConfig cfg;
  cfg.max_entries = 2;
  Fixture f(cfg);
  f.n.learn(at(0s), Ipv4Address(10, 0, 0, 2), kPeerMac, true);
  f.n.learn(at(5s), Ipv4Address(10, 0, 0, 3), kNewMac, true);
  // A new neighbor evicts 10.0.0.2, the answer closest to expiry.
  EXPECT_TRUE(f.n.send(at(6s), Ipv4Address(10, 0, 0, 4), packet(1)).request);
  EXPECT_EQ(f.n.size(), 2u);
  EXPECT_FALSE(f.n.lookup(at(6s), Ipv4Address(10, 0, 0, 2)));
  EXPECT_EQ(f.n.lookup(at(6s), Ipv4Address(10, 0, 0, 3)), kNewMac);
  EXPECT_TRUE(f.n.send(at(6s), Ipv4Address(10, 0, 0, 5), packet(2)).request);
  // Both entries are now resolving: nothing can go, the packet is dropped.
  auto d = f.n.send(at(6s), Ipv4Address(10, 0, 0, 6), packet(3));
  EXPECT_FALSE(d.mac);
  EXPECT_FALSE(d.request);
  EXPECT_EQ(f.n.counters().table_full_drops, 1u);
  EXPECT_EQ(f.n.held(Ipv4Address(10, 0, 0, 6)), 0u);
}

}  // namespace
}  // namespace synack::iface
