// The DHCP client state machine on a virtual clock: the exchanges of RFC
// 2131 §4.4 at exact instants, the §4.1 back-off, renewal and rebinding
// (§4.4.5), NAK and expiry.
#include "dhcp/dhcp_client.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace synack::dhcp {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

const wire::MacAddress kMac(0x02, 0x00, 0x00, 0x00, 0x00, 0x07);
const Ipv4Address kServer(10, 9, 0, 1);
const Ipv4Address kBroadcast = Ipv4Address::broadcast();
const Ipv4Address kAddr(10, 9, 0, 50);

Instant at(Duration d) {
  return Instant(d);
}

DhcpClientConfig config(Duration jitter = 0s) {
  DhcpClientConfig c;
  c.mac = kMac;
  c.seed = 42;
  c.jitter = jitter;
  return c;
}

DhcpRepr parsed(const DhcpTransmit& t) {
  auto v = DhcpView<const std::uint8_t>::checked(t.payload);
  EXPECT_TRUE(v.ok());
  auto r = DhcpRepr::parse(*v);
  EXPECT_TRUE(r.ok());
  return *r;
}

// A server's reply to `req`.
std::vector<std::uint8_t> reply(const DhcpRepr& req, DhcpMessageType type, Ipv4Address yiaddr,
                                std::uint32_t lease = 120, Ipv4Address server = kServer) {
  DhcpRepr r;
  r.op = DhcpOp::Reply;
  r.message_type = type;
  r.xid = req.xid;
  r.chaddr = req.chaddr;
  r.yiaddr = yiaddr;
  r.server_id = server;
  if (type != DhcpMessageType::Nak) {
    r.lease_time = lease;
    r.subnet_mask = Ipv4Address(255, 255, 255, 0);
    r.routers.push(server);
    r.dns_servers.push(server);
  }
  std::vector<std::uint8_t> out(r.buffer_len());
  r.emit(out);
  return out;
}

struct Fixture {
  DhcpClient c{config()};
  // Every transmit with the instant it was taken.
  std::vector<std::pair<Instant, DhcpTransmit>> sent;
  std::vector<DhcpEvent> events;

  void drain(Instant now) {
    while (auto t = c.pop_transmit())
      sent.emplace_back(now, std::move(*t));
    while (auto e = c.pop_event())
      events.push_back(std::move(*e));
  }
  // Runs timers up to `until`, in order.
  void run_until(Instant until) {
    while (c.poll_at() <= until) {
      Instant t = c.poll_at();
      c.on_timer(t);
      drain(t);
    }
  }
  void deliver(Instant now, const std::vector<std::uint8_t>& msg) {
    c.on_message(now, msg, kServer);
    drain(now);
  }
  DhcpRepr last() { return parsed(sent.back().second); }
  // DISCOVER at 0, OFFER and REQUEST at 1 s, ACK at 1 s: bound from 1 s.
  void lease(std::uint32_t secs = 120) {
    c.start(at(0s));
    drain(at(0s));
    deliver(at(1s), reply(last(), DhcpMessageType::Offer, kAddr, secs));
    deliver(at(1s), reply(last(), DhcpMessageType::Ack, kAddr, secs));
  }
};

TEST(DhcpClient, DiscoverOfferRequestAck) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  ASSERT_EQ(f.sent.size(), 1u);
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  DhcpRepr d = f.last();
  EXPECT_EQ(d.message_type, DhcpMessageType::Discover);
  EXPECT_EQ(f.sent[0].second.dst, kBroadcast);
  EXPECT_EQ(d.chaddr, kMac);
  EXPECT_EQ(d.ciaddr, Ipv4Address());
  EXPECT_EQ(std::vector<std::uint8_t>(d.client_id.begin(), d.client_id.end()),
            (std::vector<std::uint8_t>{1, 2, 0, 0, 0, 0, 7}));

  f.deliver(at(2s), reply(d, DhcpMessageType::Offer, kAddr));
  EXPECT_EQ(f.c.state(), DhcpState::Requesting);
  ASSERT_EQ(f.sent.size(), 2u);
  DhcpRepr r = f.last();
  EXPECT_EQ(r.message_type, DhcpMessageType::Request);
  EXPECT_EQ(r.xid, d.xid);
  EXPECT_EQ(r.requested_ip, kAddr);
  EXPECT_EQ(r.server_id, kServer);
  EXPECT_EQ(r.ciaddr, Ipv4Address());
  EXPECT_EQ(r.secs, 0);  // RFC 2131 §4.4.1: the DISCOVER's secs, not 2
  EXPECT_EQ(f.sent[1].second.dst, kBroadcast);

  f.deliver(at(3s), reply(r, DhcpMessageType::Ack, kAddr));
  EXPECT_EQ(f.c.state(), DhcpState::Bound);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.events[0].kind, DhcpEvent::Kind::Leased);
  const DhcpLease& l = *f.events[0].lease;
  EXPECT_EQ(l.address.to_string(), "10.9.0.50/24");
  EXPECT_EQ(l.router, kServer);
  EXPECT_EQ(l.server, kServer);
  EXPECT_EQ(describe(f.events[0]), "leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s");
  // Timers run from the REQUEST (2 s): T1 at 62 s, T2 at 107 s, end at 122 s.
  EXPECT_EQ(l.renew_at(), at(62s));
  EXPECT_EQ(l.rebind_at(), at(107s));
  EXPECT_EQ(l.expires_at(), at(122s));
  EXPECT_EQ(f.c.poll_at(), at(62s));
}

TEST(DhcpClient, DiscoverBackoffExactWithoutJitter) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  f.run_until(at(300s));
  std::vector<Instant> times;
  for (auto& [t, tx] : f.sent)
    times.push_back(t);
  // 4, 8, 16, 32, 64, then 64 s apart.
  std::vector<Instant> want = {at(0s),  at(4s),   at(12s),  at(28s),
                               at(60s), at(124s), at(188s), at(252s)};
  EXPECT_EQ(times, want);
  // One xid for the whole exchange; secs counts from its start.
  EXPECT_EQ(parsed(f.sent[3].second).xid, parsed(f.sent[0].second).xid);
  EXPECT_EQ(parsed(f.sent[3].second).secs, 28);
}

TEST(DhcpClient, JitterIsWithinOneSecondAndSeeded) {
  auto run = [](std::uint64_t seed) {
    auto cfg = config(1s);
    cfg.seed = seed;
    DhcpClient c(cfg);
    c.start(at(0s));
    std::vector<Instant> times;
    for (int i = 0; i < 7; ++i) {
      times.push_back(c.poll_at());
      c.on_timer(c.poll_at());
    }
    return times;
  };
  auto a = run(7), b = run(7), other = run(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  Duration base[] = {4s, 8s, 16s, 32s, 64s, 64s, 64s};
  Instant prev = at(0s);
  for (std::size_t i = 0; i < a.size(); ++i) {
    Duration gap = a[i] - prev;
    EXPECT_GE(gap, base[i] - 1s) << i;
    EXPECT_LE(gap, base[i] + 1s) << i;
    prev = a[i];
  }
}

TEST(DhcpClient, RequestingGivesUpAfterTheBackoffAndRediscovers) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  f.deliver(at(1s), reply(f.last(), DhcpMessageType::Offer, kAddr));
  f.run_until(at(125s));
  // REQUESTs at 1, 5, 13, 29, 61; after the 64 s wait (125 s) a new DISCOVER.
  std::vector<std::pair<Instant, DhcpMessageType>> got;
  for (auto& [t, tx] : f.sent)
    got.emplace_back(t, tx.type);
  std::vector<std::pair<Instant, DhcpMessageType>> want = {
      {at(0s), DhcpMessageType::Discover},   {at(1s), DhcpMessageType::Request},
      {at(5s), DhcpMessageType::Request},    {at(13s), DhcpMessageType::Request},
      {at(29s), DhcpMessageType::Request},   {at(61s), DhcpMessageType::Request},
      {at(125s), DhcpMessageType::Discover},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_NE(f.last().xid, parsed(f.sent[0].second).xid);
}

TEST(DhcpClient, RenewAtT1UnicastThenAck) {
  Fixture f;
  f.lease(120);  // bound at 1 s: T1 61 s, T2 106 s, end 121 s
  f.sent.clear();
  f.run_until(at(61s));
  ASSERT_EQ(f.sent.size(), 1u);
  EXPECT_EQ(f.c.state(), DhcpState::Renewing);
  EXPECT_EQ(f.sent[0].first, at(61s));
  EXPECT_EQ(f.sent[0].second.dst, kServer);
  DhcpRepr r = f.last();
  EXPECT_EQ(r.ciaddr, kAddr);
  EXPECT_FALSE(r.server_id);
  EXPECT_FALSE(r.requested_ip);
  EXPECT_FALSE(r.broadcast);
  f.deliver(at(62s), reply(r, DhcpMessageType::Ack, kAddr));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[1].kind, DhcpEvent::Kind::Renewed);
  EXPECT_EQ(describe(f.events[1]), "renewed 10.9.0.50/24 lease 120s");
  EXPECT_EQ(f.c.state(), DhcpState::Bound);
  EXPECT_EQ(f.c.poll_at(), at(121s));  // the renewal REQUEST went at 61 s
}

TEST(DhcpClient, RenewRebindExpireTimeline) {
  Fixture f;
  f.lease(1000);  // bound at 1 s: T1 501 s, T2 876 s, end 1001 s
  f.sent.clear();
  f.run_until(at(1001s));
  std::vector<std::tuple<Instant, Ipv4Address, DhcpMessageType>> got;
  for (auto& [t, tx] : f.sent)
    got.emplace_back(t, tx.dst, tx.type);
  const auto req = DhcpMessageType::Request;
  std::vector<std::tuple<Instant, Ipv4Address, DhcpMessageType>> want = {
      // RENEWING: half of the time left until T2, at least 60 s.
      {at(501s), kServer, req},      // 375 s to T2: wait 187.5 s
      {at(688500ms), kServer, req},  // 187.5 s left: wait 93.75 s
      {at(782250ms), kServer, req},  // 93.75 s left: 60 s
      {at(842250ms), kServer, req},  // 33.75 s left: 60 s, cut at T2
      // REBINDING at T2: half the time left on the lease, at least 60 s.
      {at(876s), kBroadcast, req},      // 125 s left: 62.5 s
      {at(938500ms), kBroadcast, req},  // 62.5 s left: 60 s
      {at(998500ms), kBroadcast, req},  // 2.5 s left: 60 s, cut at the end
      // The lease ends at 1001 s: a new DISCOVER.
      {at(1001s), kBroadcast, DhcpMessageType::Discover},
  };
  EXPECT_EQ(got, want);
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[1].kind, DhcpEvent::Kind::Expired);
  EXPECT_EQ(describe(f.events[1]), "expired 10.9.0.50/24");
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_FALSE(f.c.lease());
}

TEST(DhcpClient, RebindingAckFromAnotherServerChangesAddress) {
  Fixture f;
  f.lease(120);
  f.run_until(at(106s));  // T2
  EXPECT_EQ(f.c.state(), DhcpState::Rebinding);
  DhcpRepr r = f.last();
  EXPECT_EQ(r.ciaddr, kAddr);
  f.deliver(at(107s), reply(r, DhcpMessageType::Ack, Ipv4Address(10, 9, 0, 60), 120,
                            Ipv4Address(10, 9, 0, 2)));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[1].kind, DhcpEvent::Kind::Changed);
  EXPECT_EQ(describe(f.events[1]),
            "changed 10.9.0.50/24 -> 10.9.0.60/24 router 10.9.0.2 dns 10.9.0.2 lease 120s");
  EXPECT_EQ(f.c.lease()->server, Ipv4Address(10, 9, 0, 2));
}

TEST(DhcpClient, NakWhileRenewingDropsAndRestarts) {
  Fixture f;
  f.lease(120);
  f.run_until(at(61s));
  DhcpRepr r = f.last();
  f.deliver(at(62s), reply(r, DhcpMessageType::Nak, {}));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[1].kind, DhcpEvent::Kind::Nak);
  EXPECT_EQ(describe(f.events[1]), "nak from 10.9.0.1: dropped 10.9.0.50/24");
  EXPECT_FALSE(f.c.lease());
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_EQ(f.sent.back().first, at(62s));
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Discover);
}

TEST(DhcpClient, RepeatedNaksBackOff) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  Instant now = at(0s);
  std::vector<Instant> discovers = {now};
  for (int i = 0; i < 4; ++i) {
    f.deliver(now, reply(f.last(), DhcpMessageType::Offer, kAddr));
    f.deliver(now, reply(f.last(), DhcpMessageType::Nak, {}));
    if (f.c.state() == DhcpState::Init) {
      now = f.c.poll_at();
      f.run_until(now);
    }
    discovers.push_back(f.sent.back().first);
  }
  // First NAK: at once; then 4, 8, 16 s.
  std::vector<Instant> want = {at(0s), at(0s), at(4s), at(12s), at(28s)};
  EXPECT_EQ(discovers, want);
}

TEST(DhcpClient, IgnoresWrongXidChaddrAndReportsGarbage) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  DhcpRepr d = f.last();
  DhcpRepr wrong = d;
  wrong.xid ^= 1;
  f.deliver(at(1s), reply(wrong, DhcpMessageType::Offer, kAddr));
  DhcpRepr other = d;
  other.chaddr = wire::MacAddress(2, 0, 0, 0, 0, 8);
  f.deliver(at(1s), reply(other, DhcpMessageType::Offer, kAddr));
  f.deliver(at(1s), reply(d, DhcpMessageType::Ack, kAddr));  // an ACK in SELECTING
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_EQ(f.c.counters().unexpected, 3u);
  EXPECT_TRUE(f.events.empty());
  auto garbage = reply(d, DhcpMessageType::Offer, kAddr);
  garbage[242] = 9;  // message type 9: no such type
  f.deliver(at(1s), garbage);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(describe(f.events[0]), "ignored a message from 10.9.0.1: bad option");
  f.deliver(at(1s), reply(d, DhcpMessageType::Offer, Ipv4Address(224, 0, 0, 1)));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(describe(f.events[1]),
            "ignored a message from 10.9.0.1: offer of an unusable address 224.0.0.1");
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
}

TEST(DhcpClient, OptionT1T2AndMissingMask) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  DhcpRepr d = f.last();
  f.deliver(at(0s), reply(d, DhcpMessageType::Offer, kAddr));
  DhcpRepr req = f.last();
  DhcpRepr ack;
  ack.op = DhcpOp::Reply;
  ack.message_type = DhcpMessageType::Ack;
  ack.xid = req.xid;
  ack.chaddr = kMac;
  ack.yiaddr = Ipv4Address(172, 16, 1, 2);
  ack.server_id = kServer;
  ack.lease_time = 600;
  ack.renewal_time = 100;
  ack.rebinding_time = 200;
  std::vector<std::uint8_t> b(ack.buffer_len());
  ack.emit(b);
  f.deliver(at(0s), b);
  ASSERT_TRUE(f.c.lease());
  EXPECT_EQ(f.c.lease()->address.to_string(), "172.16.1.2/16");  // class B
  EXPECT_EQ(f.c.lease()->renew_at(), at(100s));
  EXPECT_EQ(f.c.lease()->rebind_at(), at(200s));
  EXPECT_EQ(describe(f.events[0]), "leased 172.16.1.2/16 lease 600s");
}

TEST(DhcpClient, ReleaseUnicastsToTheServer) {
  Fixture f;
  f.lease();
  f.c.release(at(5s));
  f.drain(at(5s));
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Release);
  EXPECT_EQ(f.sent.back().second.dst, kServer);
  EXPECT_EQ(f.last().ciaddr, kAddr);
  EXPECT_EQ(f.c.poll_at(), kNever);
  EXPECT_EQ(f.c.state(), DhcpState::Init);
}

// A reply built field by field, for the offers a broken server sends.
std::vector<std::uint8_t> emitted(const DhcpRepr& r) {
  std::vector<std::uint8_t> out(r.buffer_len());
  r.emit(out);
  return out;
}

TEST(DhcpClient, RequestCarriesTheDiscoverSecs) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  f.run_until(at(4s));  // the DISCOVER again, secs 4
  EXPECT_EQ(f.last().secs, 4);
  f.deliver(at(6s), reply(f.last(), DhcpMessageType::Offer, kAddr));
  EXPECT_EQ(f.last().message_type, DhcpMessageType::Request);
  EXPECT_EQ(f.last().secs, 4);
  f.run_until(at(10s));  // the REQUEST retransmitted 4 s later: still 4
  ASSERT_EQ(f.sent.back().first, at(10s));
  EXPECT_EQ(f.last().secs, 4);
}

TEST(DhcpClient, BadOffersAreIgnoredWithTheirReason) {
  Fixture f;
  f.c.start(at(0s));
  f.drain(at(0s));
  DhcpRepr d = f.last();
  auto offer = [&] {
    DhcpRepr o;
    o.op = DhcpOp::Reply;
    o.message_type = DhcpMessageType::Offer;
    o.xid = d.xid;
    o.chaddr = kMac;
    o.yiaddr = kAddr;
    o.server_id = kServer;
    o.lease_time = 120;
    o.subnet_mask = Ipv4Address(255, 255, 255, 0);
    o.routers.push(kServer);
    return o;
  };
  DhcpRepr zero = offer();
  zero.lease_time = 0;
  DhcpRepr none = offer();
  none.lease_time.reset();
  DhcpRepr anonymous = offer();
  anonymous.server_id.reset();
  DhcpRepr mask = offer();
  mask.subnet_mask = Ipv4Address(255, 0, 255, 0);
  DhcpRepr far = offer();
  far.routers = {};
  far.routers.push(Ipv4Address(10, 9, 1, 1));
  DhcpRepr net = offer();
  net.routers = {};
  net.routers.push(Ipv4Address(10, 9, 0, 0));
  for (const DhcpRepr& o : {zero, none, anonymous, mask, far, net})
    f.deliver(at(1s), emitted(o));
  std::vector<std::string> got;
  for (const auto& e : f.events)
    got.push_back(describe(e));
  std::vector<std::string> want = {
      "ignored a message from 10.9.0.1: offer with lease time 0",
      "ignored a message from 10.9.0.1: offer without a lease time",
      "ignored a message from 10.9.0.1: offer without a server identifier",
      "ignored a message from 10.9.0.1: offer with an invalid subnet mask 255.0.255.0",
      "ignored a message from 10.9.0.1: offer of 10.9.0.50/24 with a router 10.9.1.1 outside the "
      "subnet",
      "ignored a message from 10.9.0.1: offer of 10.9.0.50/24 with a router 10.9.0.0 outside the "
      "subnet",
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_EQ(f.sent.size(), 1u);  // no REQUEST for any of them
  f.deliver(at(2s), emitted(offer()));
  EXPECT_EQ(f.c.state(), DhcpState::Requesting);
  // The same checks hold for the ACK: a lease time of 0 is not bound.
  DhcpRepr ack = offer();
  ack.message_type = DhcpMessageType::Ack;
  ack.lease_time = 0;
  f.deliver(at(2s), emitted(ack));
  EXPECT_EQ(f.c.state(), DhcpState::Requesting);
  EXPECT_EQ(describe(f.events.back()), "ignored a message from 10.9.0.1: ack with lease time 0");
}

// A lease acquired at 0 s for `secs`, as a restarted client remembers it.
DhcpLease remembered(std::uint32_t secs) {
  DhcpLease l;
  l.address = wire::Ipv4Cidr{kAddr, 24};
  l.router = kServer;
  l.server = kServer;
  l.lease_time = std::chrono::seconds(secs);
  l.t1 = l.lease_time / 2;
  l.t2 = l.lease_time * 7 / 8;
  l.acquired = at(0s);
  return l;
}

TEST(DhcpClient, InitRebootRequestsTheRememberedAddress) {
  Fixture f;
  f.c.reboot(at(10s), remembered(120));
  f.drain(at(10s));
  EXPECT_EQ(f.c.state(), DhcpState::Rebooting);
  ASSERT_EQ(f.sent.size(), 1u);
  EXPECT_EQ(f.sent[0].second.dst, kBroadcast);
  DhcpRepr r = f.last();
  // RFC 2131 §4.3.2 INIT-REBOOT: option 50 set, no server identifier,
  // ciaddr 0.
  EXPECT_EQ(r.message_type, DhcpMessageType::Request);
  EXPECT_EQ(r.requested_ip, kAddr);
  EXPECT_FALSE(r.server_id);
  EXPECT_EQ(r.ciaddr, Ipv4Address());
  EXPECT_EQ(f.c.poll_at(), at(14s));
  f.deliver(at(11s), reply(r, DhcpMessageType::Ack, kAddr));
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(describe(f.events[0]), "leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s");
  EXPECT_EQ(f.c.state(), DhcpState::Bound);
  EXPECT_EQ(f.c.lease()->renew_at(), at(70s));  // from the REQUEST at 10 s
}

TEST(DhcpClient, InitRebootNakDropsTheRememberedLease) {
  Fixture f;
  f.c.reboot(at(10s), remembered(120));
  f.drain(at(10s));
  f.deliver(at(11s), reply(f.last(), DhcpMessageType::Nak, {}));
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(describe(f.events[0]), "nak from 10.9.0.1: dropped 10.9.0.50/24");
  EXPECT_FALSE(f.c.lease());
  EXPECT_EQ(f.c.state(), DhcpState::Selecting);
  EXPECT_EQ(f.sent.back().first, at(11s));
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Discover);
}

TEST(DhcpClient, InitRebootWithoutAnswerKeepsTheRememberedLease) {
  Fixture f;
  f.c.reboot(at(10s), remembered(1000));  // T1 500 s, T2 875 s, end 1000 s
  f.drain(at(10s));
  f.run_until(at(134s));
  std::vector<Instant> times;
  for (auto& [t, tx] : f.sent)
    times.push_back(t);
  std::vector<Instant> want = {at(10s), at(14s), at(22s), at(38s), at(70s)};
  EXPECT_EQ(times, want);
  // After the 64 s wait: RFC 2131 §4.4.2 lets the client use the rest of
  // the lease; its T1 stays at 500 s.
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(describe(f.events[0]),
            "leased 10.9.0.50/24 router 10.9.0.1 lease 1000s (remembered, not confirmed)");
  EXPECT_EQ(f.c.state(), DhcpState::Bound);
  EXPECT_EQ(f.c.poll_at(), at(500s));
  // A remembered lease already over: straight to INIT.
  Fixture g;
  g.c.reboot(at(200s), remembered(120));
  g.drain(at(200s));
  EXPECT_EQ(g.c.state(), DhcpState::Selecting);
  EXPECT_EQ(g.last().message_type, DhcpMessageType::Discover);
}

TEST(DhcpClient, DeclineBroadcastsAndRestartsAfterTenSeconds) {
  Fixture f;
  auto cfg = config();
  cfg.host_name = "gw";
  f.c = DhcpClient(cfg);
  f.lease();
  EXPECT_EQ(f.last().host_name.size(), 2u);  // the REQUEST names the host
  f.c.decline(at(2s), "in use by 02:00:00:00:00:99");
  f.drain(at(2s));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(describe(f.events[1]),
            "declined 10.9.0.50/24 (in use by 02:00:00:00:00:99): discovering again in 10s");
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Decline);
  EXPECT_EQ(f.sent.back().second.dst, kBroadcast);
  DhcpRepr d = f.last();
  // RFC 2131 Table 5: option 50 and the server identifier; ciaddr 0, secs
  // 0; no parameter request list, no host name.
  EXPECT_EQ(d.requested_ip, kAddr);
  EXPECT_EQ(d.server_id, kServer);
  EXPECT_EQ(d.ciaddr, Ipv4Address());
  EXPECT_EQ(d.secs, 0);
  EXPECT_TRUE(d.parameter_list.empty());
  EXPECT_TRUE(d.host_name.empty());
  EXPECT_FALSE(f.c.lease());
  EXPECT_EQ(f.c.state(), DhcpState::Init);
  EXPECT_EQ(f.c.poll_at(), at(12s));
  f.run_until(at(12s));
  EXPECT_EQ(f.sent.back().first, at(12s));
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Discover);
  // RELEASE carries no host name or parameter list either.
  f.deliver(at(13s), reply(f.last(), DhcpMessageType::Offer, kAddr));
  f.deliver(at(13s), reply(f.last(), DhcpMessageType::Ack, kAddr));
  f.c.release(at(20s));
  f.drain(at(20s));
  EXPECT_EQ(f.sent.back().second.type, DhcpMessageType::Release);
  EXPECT_TRUE(f.last().host_name.empty());
  EXPECT_TRUE(f.last().parameter_list.empty());
  EXPECT_EQ(f.last().secs, 0);
}

}  // namespace
}  // namespace synack::dhcp
