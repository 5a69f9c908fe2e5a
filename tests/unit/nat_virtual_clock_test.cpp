// Two synack hosts talking through the NatRouter (two more synack
// interfaces) on a virtual clock, so that the long timeouts run in
// milliseconds: a connection through the port forward survives 5 minutes of
// idle and is still translated after 2 hours, leaves the table 2 h 4 min
// after its last packet (and its packets are then dropped, unanswered), and
// a closed connection leaves 4 minutes after its last ACK.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "apps/nat/nat_router.hpp"
#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::nat {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

// One end of a point-to-point IP link: what one side transmits, the other receives.
class LinkEnd final : public iface::Device {
 public:
  void connect(LinkEnd* peer) { peer_ = peer; }
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (inbox_.empty()) return std::nullopt;
    current_ = std::move(inbox_.front());
    inbox_.pop_front();
    return current_;
  }
  void transmit(Instant, std::span<const std::uint8_t> f) override {
    peer_->inbox_.emplace_back(f.begin(), f.end());
  }
  bool pending() const { return !inbox_.empty(); }

 private:
  LinkEnd* peer_ = nullptr;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::vector<std::uint8_t> current_;
};

iface::InterfaceConfig host(Ipv4Address a) {
  iface::InterfaceConfig c;
  c.address = {a, 24};
  return c;
}

NatConfig nat_config() {
  NatConfig c;
  c.outside = {Ipv4Address(203, 0, 113, 2), 24};
  c.inside = {Ipv4Address(10, 0, 1, 1), 24};
  std::string err;
  c.forwards.push_back(*PortForward::parse("tcp:3390=10.0.1.201:3389", &err));
  return c;
}

// client 203.0.113.1 <-> [outside 203.0.113.2 | NAT | inside 10.0.1.1] <-> server 10.0.1.201
struct World {
  World()
      : client(host(Ipv4Address(203, 0, 113, 1))),
        outside(host(Ipv4Address(203, 0, 113, 2))),
        inside(host(Ipv4Address(10, 0, 1, 1))),
        server(host(Ipv4Address(10, 0, 1, 201))),
        router(nat_config(), inside.interface(), outside.interface()) {
    client_end.connect(&outside_end);
    outside_end.connect(&client_end);
    inside_end.connect(&server_end);
    server_end.connect(&inside_end);
  }
  void poll() {
    for (int i = 0; i < 20; ++i) {
      client.poll(now, client_end);
      outside.poll(now, outside_end);
      inside.poll(now, inside_end);
      server.poll(now, server_end);
      router.on_timers(now);
      bool queued = client.poll_at() <= now || outside.poll_at() <= now ||
                    inside.poll_at() <= now || server.poll_at() <= now;
      if (!queued && !client_end.pending() && !outside_end.pending() && !inside_end.pending() &&
          !server_end.pending())
        break;
    }
  }
  // Runs every timer up to `until`, in order.
  void run_until(Instant until) {
    while (true) {
      Instant next = std::min({client.poll_at(), outside.poll_at(), inside.poll_at(),
                               server.poll_at(), router.poll_at()});
      if (next > until) break;
      now = std::max(now, next);
      poll();
    }
    now = until;
    poll();
  }
  std::size_t flows() const { return router.engine().conntrack().size(); }

  Instant now = instant_from_us(1'000'000);
  LinkEnd client_end, outside_end, inside_end, server_end;
  socket::Stack client, outside, inside, server;
  NatRouter router;
};

std::string read_all(socket::TcpStream& s) {
  std::string out(4096, '\0');
  std::size_t n = s.read(std::span(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
  out.resize(n);
  return out;
}

TEST(NatVirtualClock, ForwardedConnectionOutlivesLongIdleAndEndsOnTime) {
  World w;
  auto listener = w.server.listen(3389);
  ASSERT_TRUE(listener);
  auto conn = w.client.connect(Ipv4Address(203, 0, 113, 2), 3390);
  ASSERT_TRUE(conn);
  w.poll();
  auto accepted = listener->accept();
  ASSERT_TRUE(accepted);
  ASSERT_TRUE(conn->connected());
  EXPECT_EQ(accepted->tuple().remote_addr, Ipv4Address(203, 0, 113, 1));  // DNAT only
  conn->write("hello");
  w.poll();
  EXPECT_EQ(read_all(*accepted), "hello");
  ASSERT_EQ(w.flows(), 1u);
  Instant last = w.now;

  // Five minutes of idle (RFC 5382 REQ-5: no shorter than 2 h 4 min), then two hours.
  w.run_until(last + 5min);
  EXPECT_EQ(w.flows(), 1u);
  accepted->write("still here");
  w.poll();
  EXPECT_EQ(read_all(*conn), "still here");
  last = w.now;
  w.run_until(last + 2h);
  EXPECT_EQ(w.flows(), 1u);
  conn->write("after two hours");
  w.poll();
  EXPECT_EQ(read_all(*accepted), "after two hours");
  last = w.now;

  // 2 h 4 min after the last packet the entry goes; then nothing passes.
  w.run_until(last + 2h + 4min - 1ms);
  EXPECT_EQ(w.flows(), 1u);
  w.run_until(last + 2h + 4min);
  EXPECT_EQ(w.flows(), 0u);
  conn->write("too late");
  w.run_until(w.now + 10s);
  EXPECT_EQ(read_all(*accepted), "");
  EXPECT_GT(w.router.engine().counters().dropped[static_cast<int>(DropReason::Unsolicited)], 0u);
}

TEST(NatVirtualClock, ClosedConnectionLeavesFourMinutesAfterTheLastAck) {
  World w;
  auto listener = w.server.listen(3389);
  auto conn = w.client.connect(Ipv4Address(203, 0, 113, 2), 3390);
  w.poll();
  auto accepted = listener->accept();
  ASSERT_TRUE(accepted);
  conn->close();
  w.poll();
  accepted->close();
  w.poll();
  Instant closed = w.now;
  std::string state;
  w.router.engine().conntrack().for_each([&](const ConntrackEntry& e) { state = e.state_name(); });
  EXPECT_EQ(state, "TIME_WAIT");
  w.run_until(closed + 4min - 1ms);
  EXPECT_EQ(w.flows(), 1u);
  w.run_until(closed + 4min);
  EXPECT_EQ(w.flows(), 0u);
  EXPECT_EQ(w.router.engine().mappings().size(), 0u);
}

}  // namespace
}  // namespace synack::nat
