// The stack's byte budget for buffer memory under a real workload: many
// connections echoing over a lossy link through a server whose budget is far
// below what they would hold without it. Every byte comes back intact, the
// budget bounds what the server holds, and the refusals are counted.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "phy/simulation.hpp"
#include "sim_workload.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;
using namespace synack::simtest;
using namespace std::chrono_literals;
using socket::SocketError;

namespace {

const wire::Ipv4Address kServer(10, 0, 0, 2);

struct EchoRun {
  std::size_t peak_outstanding = 0;
  std::uint64_t refusals = 0;
  std::uint64_t forced = 0;
  std::uint64_t receive_memory_drops = 0;  // over the server's connections
  std::size_t outstanding_at_end = 0;
};

// kClients connections each send `size` random bytes while reading them
// back from a server that echoes as it reads (read_some, write_all). Fails
// the test unless every echo is byte-exact.
EchoRun echo_through(std::size_t server_budget, int clients, std::size_t size) {
  phy::Simulation sim(11);
  tcp::TcpConfig budgeted;
  budgeted.buffer_budget = server_budget;
  socket::Stack& client = sim.add_host(host_config("client", "10.0.0.1/24"));
  socket::Stack& server = sim.add_host(host_config("server", "10.0.0.2/24", 1500, budgeted));
  phy::LinkParams link;
  link.delay = 5ms;
  link.rate_bps = 200'000'000;
  link.loss = 0.01;
  sim.link(client, server, link);

  EchoRun run;
  auto listener = server.listen(80);
  EXPECT_TRUE(listener);
  std::vector<Job> jobs;
  jobs.reserve(static_cast<std::size_t>(3 * clients + 1));
  int served = 0;
  auto echo = [&](socket::TcpStream st) -> Job {
    std::array<std::uint8_t, 16384> buf;
    while (true) {
      auto r = co_await st.read_some(buf);
      EXPECT_TRUE(r);
      if (!r || *r == 0) break;
      EXPECT_EQ(co_await st.write_all(std::span(buf).first(*r)), SocketError::None);
    }
    run.receive_memory_drops += st.info().stats.receive_memory_drops;
    st.close();
    EXPECT_EQ(co_await st.wait_closed(), SocketError::None);
    ++served;
  };
  auto accept_loop = [&]() -> Job {
    for (int i = 0; i < clients; ++i) {
      auto a = co_await listener->accept_async();
      EXPECT_TRUE(a);
      if (!a) co_return;
      jobs.push_back(echo(std::move(*a)));
    }
  };
  struct Client {
    std::vector<std::uint8_t> sent;
    std::string echoed;
    std::optional<socket::TcpStream> stream;
    bool done = false;
  };
  std::vector<Client> cs(static_cast<std::size_t>(clients));
  auto writer = [](Client& cl) -> Job {
    EXPECT_EQ(co_await cl.stream->wait_connected(), SocketError::None);
    EXPECT_EQ(co_await cl.stream->write_all(cl.sent), SocketError::None);
    cl.stream->shutdown();
  };
  auto reader = [](Client& cl) -> Job {
    auto r = co_await cl.stream->read_to_end();
    EXPECT_TRUE(r);
    if (r) cl.echoed = std::move(*r);
    cl.stream->close();
    cl.done = true;
  };
  jobs.push_back(accept_loop());
  Rng rng(3);
  for (Client& cl : cs) {
    cl.sent = random_bytes(rng, size);
    auto st = client.connect(kServer, 80);
    EXPECT_TRUE(st);
    if (!st) return run;
    cl.stream = std::move(*st);
    jobs.push_back(writer(cl));
    jobs.push_back(reader(cl));
  }
  const auto& b = server.tcp().buffer_stats();
  bool all = sim.run_until(
      [&] {
        return served == clients &&
               std::all_of(cs.begin(), cs.end(), [](const Client& cl) { return cl.done; });
      },
      sim.now() + 10min);
  EXPECT_TRUE(all) << served << " of " << clients << " served";
  for (std::size_t i = 0; i < cs.size(); ++i) {
    SCOPED_TRACE(fmt::format("client {}", i));
    auto echoed =
        std::span(reinterpret_cast<const std::uint8_t*>(cs[i].echoed.data()), cs[i].echoed.size());
    EXPECT_EQ(echoed.size(), cs[i].sent.size());
    EXPECT_EQ(first_difference(cs[i].sent, echoed), std::string::npos);
  }
  run.peak_outstanding = b.peak_outstanding_bytes;
  run.refusals = b.refusals;
  run.forced = b.forced;
  run.outstanding_at_end = b.outstanding_bytes;
  jobs.clear();
  cs.clear();
  return run;
}

TEST(SimBufferBudget, EchoesArriveIntactThroughATightBudgetThatBoundsWhatTheServerHolds) {
  constexpr int kClients = 16;
  constexpr std::size_t kSize = 256 * 1024;
  EchoRun free_run = echo_through(std::size_t{1} << 31, kClients, kSize);
  EXPECT_EQ(free_run.refusals, 0u);
  EXPECT_EQ(free_run.receive_memory_drops, 0u);

  constexpr std::size_t kBudget = 64 * 1024;
  EchoRun tight = echo_through(kBudget, kClients, kSize);
  fmt::print(
      "server peak buffer bytes: {} without a budget, {} with {} (refusals {}, forced {}, "
      "receive drops {})\n",
      free_run.peak_outstanding, tight.peak_outstanding, kBudget, tight.refusals, tight.forced,
      tight.receive_memory_drops);
  // Without a budget the server holds megabytes at its busiest moment.
  EXPECT_GT(free_run.peak_outstanding, 16 * kBudget);
  // With one, no more than the budget plus, per connection, the first block
  // of each buffer (granted past it) and the SACK scoreboard's records.
  EXPECT_LE(tight.peak_outstanding, kBudget + kClients * (2 * 4096 + 8192));
  EXPECT_GT(tight.refusals, 0u);
  EXPECT_GT(tight.forced, 0u);
  EXPECT_EQ(tight.outstanding_at_end, 0u);  // everything read and acknowledged
}

// With jumbo frames the MSS (8960) is larger than the one block an empty
// buffer gets with no budget at all (4 KiB). The window must still reopen
// once the reader empties the buffer: the silly-window threshold follows
// what the budget lets the buffer reach, not the MSS alone.
TEST(SimBufferBudget, AWindowClosedUnderTheBudgetReopensWithJumboFrames) {
  phy::Simulation sim(5);
  tcp::TcpConfig jumbo;
  jumbo.mss = 8960;
  tcp::TcpConfig none = jumbo;
  none.buffer_budget = 0;
  socket::Stack& client = sim.add_host(host_config("client", "10.0.0.1/24", 9000, jumbo));
  socket::Stack& server = sim.add_host(host_config("server", "10.0.0.2/24", 9000, none));
  phy::LinkParams link;
  link.delay = 1ms;
  sim.link(client, server, link);

  auto listener = server.listen(80);
  ASSERT_TRUE(listener);
  auto stream = client.connect(kServer, 80);
  ASSERT_TRUE(stream);
  Rng rng(9);
  std::vector<std::uint8_t> data = random_bytes(rng, 256 * 1024);
  std::string received;
  std::optional<socket::TcpStream> accepted;
  Job sender = [](socket::TcpStream& st, std::span<const std::uint8_t> d) -> Job {
    EXPECT_EQ(co_await st.wait_connected(), SocketError::None);
    EXPECT_EQ(co_await st.write_all(d), SocketError::None);
    st.shutdown();
  }(*stream, data);
  Job receiver = [](socket::TcpListener& l, std::optional<socket::TcpStream>& out,
                    std::string& got) -> Job {
    auto a = co_await l.accept_async();
    EXPECT_TRUE(a);
    if (!a) co_return;
    out = std::move(*a);
    auto r = co_await out->read_to_end();
    EXPECT_TRUE(r);
    if (r) got = std::move(*r);
  }(*listener, accepted, received);
  ASSERT_TRUE(sim.run_until([&] { return sender.done() && receiver.done(); }, sim.now() + 10min))
      << received.size() << " bytes of " << data.size() << " in 10 min";
  EXPECT_EQ(first_difference(data, std::span(reinterpret_cast<const std::uint8_t*>(received.data()),
                                             received.size())),
            std::string::npos);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_GT(server.tcp().buffer_stats().forced, 0u);
}

}  // namespace
