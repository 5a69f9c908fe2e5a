// UDP (RFC 768) as datagram scripts on the virtual clock: demultiplexing,
// ICMP port unreachable in both directions (RFC 1122 §4.1.3.1, §4.1.3.3),
// connected-socket filtering, the bounded receive queue, sizes.
#include <gtest/gtest.h>

#include "socket/udp_socket.hpp"
#include "support/datagram_script.hpp"
#include "wire/icmp.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
constexpr std::uint8_t kUnreachable = 3;
constexpr std::uint8_t kPortCode = 3;

std::string text(const udp::Datagram& d) {
  return {d.data.begin(), d.data.end()};
}
}  // namespace

TEST(ScriptUdp, EchoFromCallbackWithExactPacket) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(7);
  ASSERT_TRUE(sock);
  int events = 0;
  sock->on_event([&] {
    ++events;
    while (auto d = sock->try_recv())
      EXPECT_EQ(sock->send_to(d->addr, d->port, d->data), socket::SocketError::None);
  });
  s.run_until(250ms);
  s.inject_udp(4000, 7, "ping");
  SentPacket p = s.expect_udp(250ms, 7, 4000, "ping");
  EXPECT_EQ(p.dst, DatagramScript::kPeerAddr);
  EXPECT_EQ(p.bytes.size(), 20u + 8u + 4u);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(sock->counters().datagrams_in, 1u);
  EXPECT_EQ(sock->counters().datagrams_out, 1u);
  s.expect_silence_until(10s);
}

TEST(ScriptUdp, UnboundPortAnswersPortUnreachableQuotingHeaderAnd8Bytes) {
  DatagramScript s;
  auto sent = s.inject_udp(4000, 9, "nobody listens here");
  SentPacket p = s.expect_icmp(0s, kUnreachable, kPortCode);
  EXPECT_EQ(p.dst, DatagramScript::kPeerAddr);
  // RFC 792: the offending IP header plus the first 64 bits of its data.
  EXPECT_EQ(p.icmp_data, std::vector<std::uint8_t>(sent.begin(), sent.begin() + 28));
  EXPECT_EQ(s.stack().interface().udp().counters().no_port, 1u);
  EXPECT_EQ(s.stack().interface().counters().icmp_unreachable_sent, 1u);
}

TEST(ScriptUdp, PortUnreachableIsRateLimitedPerSecond) {
  DatagramScript s([](iface::InterfaceConfig& c) { c.icmp_unreachable_per_second = 2; });
  s.run_until(500ms);
  for (int i = 0; i < 3; ++i)
    s.inject_udp(4000, 9, "x");
  s.expect_icmp(500ms, kUnreachable, kPortCode);
  s.expect_icmp(500ms, kUnreachable, kPortCode);
  s.expect_silence_until(999ms);
  EXPECT_EQ(s.stack().interface().counters().icmp_unreachable_limited, 1u);
  s.run_until(1s);  // a new second, a new budget
  s.inject_udp(4000, 9, "x");
  s.expect_icmp(1s, kUnreachable, kPortCode);
}

// A clock set back (a harness rewinding it) must not leave the budget of
// a second that comes round again half spent.
TEST(ScriptUdp, PortUnreachableBudgetStartsAfreshWhenTheClockGoesBack) {
  DatagramScript s([](iface::InterfaceConfig& c) { c.icmp_unreachable_per_second = 1; });
  s.run_until(500ms);
  s.inject_udp(4000, 9, "x");
  s.inject_udp(4000, 9, "x");
  s.expect_icmp(500ms, kUnreachable, kPortCode);
  s.expect_silence_until(600ms);
  EXPECT_EQ(s.stack().interface().counters().icmp_unreachable_limited, 1u);
  s.stack().set_time(Instant{} + 100ms);  // back, within the same second
  s.inject_udp(4000, 9, "x");
  s.expect_icmp(100ms, kUnreachable, kPortCode);
  EXPECT_EQ(s.stack().interface().counters().icmp_unreachable_limited, 1u);
}

TEST(ScriptUdp, ConnectedSocketGetsRefusedOnceOnNextReceive) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(0);
  ASSERT_TRUE(sock);
  EXPECT_GE(sock->local_port(), 32768);  // the ephemeral range TCP uses
  EXPECT_LE(sock->local_port(), 60999);
  ASSERT_EQ(sock->connect(DatagramScript::kPeerAddr, 53), socket::SocketError::None);
  int events = 0;
  sock->on_event([&] { ++events; });
  ASSERT_EQ(sock->send("query"), socket::SocketError::None);
  s.flush();
  SentPacket q = s.expect_udp(0s, sock->local_port(), 53, "query");
  s.run_until(20ms);
  s.inject_port_unreachable(q.bytes);
  EXPECT_EQ(events, 1);
  auto r = sock->try_recv();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), socket::SocketError::Refused);
  auto again = sock->try_recv();  // reported once, like SO_ERROR
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), socket::SocketError::WouldBlock);
  EXPECT_EQ(s.stack().interface().udp().counters().icmp_errors_applied, 1u);
}

TEST(ScriptUdp, RefusedIsReportedBySendAndNothingIsSent) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  sock->connect(DatagramScript::kPeerAddr, 53);
  sock->send("one");
  s.flush();
  SentPacket q = s.expect_udp(0s, 5000, 53, "one");
  s.inject_port_unreachable(q.bytes);
  EXPECT_EQ(sock->send("two"), socket::SocketError::Refused);
  s.expect_silence_until(1s);
  EXPECT_EQ(sock->send("three"), socket::SocketError::None);
  s.expect_udp(1s, 5000, 53, "three");
}

TEST(ScriptUdp, UnconnectedSocketIgnoresPortUnreachable) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  sock->send_to(DatagramScript::kPeerAddr, 53, "q");
  s.flush();
  SentPacket q = s.expect_udp(0s, 5000, 53, "q");
  s.inject_port_unreachable(q.bytes);
  auto r = sock->try_recv();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), socket::SocketError::WouldBlock);
  EXPECT_EQ(s.stack().interface().udp().counters().icmp_errors_ignored, 1u);
  EXPECT_EQ(s.stack().interface().counters().icmp_unreachable_received, 1u);
}

TEST(ScriptUdp, ConnectedSocketTakesDatagramsFromItsPeerOnly) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  sock->connect(DatagramScript::kPeerAddr, 53);
  s.inject_udp(54, 5000, "wrong port");
  s.inject_udp(53, 5000, "wrong host", wire::Ipv4Address(10, 0, 0, 3));
  s.inject_udp(53, 5000, "right");
  auto d = sock->try_recv();
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "right");
  EXPECT_EQ(d->addr, DatagramScript::kPeerAddr);
  EXPECT_EQ(d->port, 53);
  EXPECT_FALSE(sock->try_recv());
  EXPECT_EQ(sock->counters().dropped_not_peer, 2u);
  s.expect_silence_until(1s);  // dropped silently: the port is bound
}

TEST(ScriptUdp, FullQueueDropsAndCounts) {
  DatagramScript s([](iface::InterfaceConfig& c) { c.udp_queue_limit = 2; });
  auto sock = s.stack().udp_bind(5000);
  s.inject_udp(4000, 5000, "a");
  s.inject_udp(4000, 5000, "b");
  s.inject_udp(4000, 5000, "c");
  EXPECT_EQ(sock->queued(), 2u);
  EXPECT_EQ(sock->counters().dropped_queue_full, 1u);
  EXPECT_EQ(text(*sock->try_recv()), "a");
  EXPECT_EQ(text(*sock->try_recv()), "b");
  EXPECT_EQ(sock->try_recv().error(), socket::SocketError::WouldBlock);
}

TEST(ScriptUdp, DatagramsLargerThanOnePacketAreRefused) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  EXPECT_EQ(sock->max_payload(), 1500u - 28u);
  std::string big(1473, 'x');
  EXPECT_EQ(sock->send_to(DatagramScript::kPeerAddr, 9, big), socket::SocketError::MessageTooLong);
  s.expect_silence_until(1s);
  big.pop_back();
  EXPECT_EQ(sock->send_to(DatagramScript::kPeerAddr, 9, big), socket::SocketError::None);
  SentPacket p = s.expect_udp(1s, 5000, 9, big);
  EXPECT_EQ(p.bytes.size(), 1500u);
}

TEST(ScriptUdp, BindErrorsAndArguments) {
  DatagramScript s;
  auto a = s.stack().udp_bind(5000);
  ASSERT_TRUE(a);
  auto b = s.stack().udp_bind(5000);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), socket::SocketError::AddressInUse);
  EXPECT_EQ(a->send("x"), socket::SocketError::NotConnected);
  EXPECT_EQ(a->connect(DatagramScript::kPeerAddr, 0), socket::SocketError::InvalidArgument);
  EXPECT_EQ(a->send_to(DatagramScript::kPeerAddr, 0, "x"), socket::SocketError::InvalidArgument);
  a->close();
  EXPECT_EQ(s.stack().open_handles(), 0u);
  // The port is free again: a datagram to it is unreachable, and it can be bound.
  s.inject_udp(4000, 5000, "late");
  s.expect_icmp(0s, kUnreachable, kPortCode);
  EXPECT_TRUE(s.stack().udp_bind(5000));
}

TEST(ScriptUdp, EphemeralPortsAreDistinct) {
  DatagramScript s;
  auto a = s.stack().udp_bind(0);
  auto b = s.stack().udp_bind(0);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->local_port(), b->local_port());
}

TEST(ScriptUdp, BadChecksumIsDroppedZeroChecksumAccepted) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  auto pkt = s.inject_udp(4000, 5000, "good");
  ASSERT_TRUE(sock->try_recv());
  auto bad = pkt;
  bad.back() ^= 1;  // payload changed, checksum not
  s.inject_packet(bad);
  EXPECT_FALSE(sock->try_recv());
  EXPECT_EQ(s.stack().interface().counters().malformed, 1u);
  bad[20 + 6] = bad[20 + 7] = 0;  // "no checksum" (RFC 768)
  s.inject_packet(bad);
  auto d = sock->try_recv();
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "gooe");
  s.expect_silence_until(1s);
}

namespace {
socket::Task<> receive_one(socket::UdpSocket& sock, std::string& got) {
  auto d = co_await sock.recv_from();
  EXPECT_TRUE(d);
  if (d) got = text(*d);
}
}  // namespace

TEST(ScriptUdp, CoroutineReceiveWaitsForTheDatagram) {
  DatagramScript s;
  auto sock = s.stack().udp_bind(5000);
  std::string got;
  socket::spawn(receive_one(*sock, got));
  s.run_until(3s);
  EXPECT_EQ(got, "");
  s.inject_udp(4000, 5000, "late hello");
  EXPECT_EQ(got, "late hello");
}
