// Focused deterministic simulations (DESIGN.md §4 layer 3): a bulk transfer
// over a lossy link, a receiver that closes its window for a while (persist
// probes), and many concurrent connections to one listener.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "phy/simulation.hpp"
#include "sim_workload.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "trace/sequence_diagram.hpp"

using namespace synack;
using namespace synack::simtest;
using namespace std::chrono_literals;
using socket::SocketError;

namespace {

const wire::Ipv4Address kServer(10, 0, 0, 2);

struct Net {
  Net(std::uint64_t seed, const phy::LinkParams& link, const tcp::TcpConfig& server_tcp = {})
      : sim(seed) {
    iface::InterfaceConfig c;
    c.name = "client";
    c.address = *wire::Ipv4Cidr::parse("10.0.0.1/24");
    iface::InterfaceConfig s = c;
    s.name = "server";
    s.address = *wire::Ipv4Cidr::parse("10.0.0.2/24");
    s.tcp = server_tcp;
    client = &sim.add_host(c);
    server = &sim.add_host(s);
    sim.link(*client, *server, link);
    sim.set_trace(&trace);
  }
  // Both stacks hold nothing: no connection, TIME-WAIT, half-open entry or handle.
  void expect_empty() {
    for (socket::Stack* h : {client, server}) {
      SCOPED_TRACE(h->name());
      EXPECT_EQ(h->tcp().connection_count(), 0u);
      EXPECT_EQ(h->tcp().time_wait().size(), 0u);
      EXPECT_EQ(h->tcp().connection_pool().live, 0u);
      EXPECT_EQ(h->tcp().request_pool().live, 0u);
      EXPECT_EQ(h->open_handles(), 0u);
    }
  }
  bool run_until_empty(Instant limit) {
    return sim.run_until(
        [&] {
          for (socket::Stack* h : {client, server})
            if (h->tcp().connection_count() != 0 || h->tcp().time_wait().size() != 0 ||
                h->tcp().connection_pool().live != 0)
              return false;
          return true;
        },
        limit);
  }
  phy::Simulation sim;
  tcp::Trace trace;
  socket::Stack* client;
  socket::Stack* server;
};

std::string dump(const tcp::Trace& trace) {
  return trace::render_event_log(trace.events());
}

// Sends `data`, then closes; ends when the connection is closed.
Job send_all(socket::TcpStream& s, std::span<const std::uint8_t> data, SocketError& err) {
  err = co_await s.wait_connected();
  if (err == SocketError::None) err = co_await s.write_all(data);
  s.close();
  if (err == SocketError::None) err = co_await s.wait_closed();
}

// Accepts one connection, reads it to EOF, closes.
Job receive_all(socket::TcpListener& l, std::optional<socket::TcpStream>& out, std::string& data,
                SocketError& err) {
  auto a = co_await l.accept_async();
  if (!a) {
    err = a.error();
    co_return;
  }
  out = std::move(*a);
  auto r = co_await out->read_to_end();
  if (!r) {
    err = r.error();
    co_return;
  }
  data = std::move(*r);
  out->close();
  err = co_await out->wait_closed();
}

}  // namespace

TEST(SimTransfer, OneMiBOverTenPercentLossArrivesIntact) {
  phy::LinkParams link;
  link.delay = 10ms;
  link.loss = 0.10;
  Net net(2024, link);
  Rng rng(99);
  std::vector<std::uint8_t> data = random_bytes(rng, 1 << 20);

  auto listener = net.server->listen(80);
  ASSERT_TRUE(listener);
  auto stream = net.client->connect(kServer, 80);
  ASSERT_TRUE(stream);
  SocketError send_err = SocketError::None, recv_err = SocketError::None;
  std::optional<socket::TcpStream> accepted;
  std::string received;
  Job sender = send_all(*stream, data, send_err);
  Job receiver = receive_all(*listener, accepted, received, recv_err);

  const Instant limit = net.sim.now() + 30min;
  ASSERT_TRUE(net.sim.run_until([&] { return sender.done() && receiver.done(); }, limit))
      << "transfer not finished: " << received.size() << " bytes received";
  EXPECT_EQ(send_err, SocketError::None);
  EXPECT_EQ(recv_err, SocketError::None);
  std::size_t diff = first_difference(
      data, std::span(reinterpret_cast<const std::uint8_t*>(received.data()), received.size()));
  EXPECT_EQ(diff, std::string::npos)
      << "first difference at offset " << diff << " of " << received.size() << " bytes received";
  const auto& stats = stream->connection().stats();
  std::cout << fmt::format("1 MiB at 10% loss: {} ms virtual, {} segments, {} timeouts\n",
                           to_ms(net.sim.now() - Instant{}), stats.segments_sent, stats.timeouts);
  EXPECT_GT(stats.timeouts, 0u);  // the loss was real

  stream = socket::TcpStream();
  accepted.reset();
  listener = socket::TcpListener();
  EXPECT_TRUE(net.run_until_empty(limit));
  net.expect_empty();
}

// The receiver leaves its 4 KiB buffer full for 20 s: the sender must probe
// the zero window (RFC 9293 §3.8.6.1) with backoff, and finish once reading
// resumes, even when window updates can be lost.
TEST(SimTransfer, ZeroWindowIsProbedUntilTheReaderResumes) {
  for (double loss : {0.0, 0.05}) {
    SCOPED_TRACE(fmt::format("loss {}", loss));
    phy::LinkParams link;
    link.delay = 5ms;
    link.loss = loss;
    tcp::TcpConfig small;
    small.recv_buffer = 4096;
    Net net(7, link, small);
    Rng rng(5);
    std::vector<std::uint8_t> data = random_bytes(rng, 64 * 1024);

    auto listener = net.server->listen(80);
    ASSERT_TRUE(listener);
    auto stream = net.client->connect(kServer, 80);
    ASSERT_TRUE(stream);
    std::size_t written = 0;
    auto pump = [&] {
      while (written < data.size()) {
        std::size_t n = stream->write(std::span(data).subspan(written));
        if (n == 0) break;
        written += n;
      }
      // (close() in SYN-SENT would drop everything: RFC 9293 §3.10.4.)
      if (written == data.size() && stream->connected() && !stream->connection().write_closed())
        stream->close();
    };
    stream->on_event(pump);
    pump();
    std::optional<socket::TcpStream> accepted;
    ASSERT_TRUE(net.sim.run_until([&] { return (accepted = listener->accept()).has_value(); },
                                  net.sim.now() + 10s))
        << dump(net.trace);

    // Nobody reads until t = 20 s.
    const Instant resume = Instant{} + 20s;
    net.sim.run_until(resume);
    EXPECT_EQ(accepted->readable(), 4096u);
    Instant zero_at = kNever;
    int probes = 0;
    for (const auto& e : net.trace.events()) {
      if (e.kind != tcp::TraceKind::SegmentSent) continue;
      if (e.host == "server" && e.segment.window == 0 && zero_at == kNever) zero_at = e.time;
      if (e.host == "client" && zero_at != kNever && e.time > zero_at &&
          e.segment.payload_len <= 1 && !(e.segment.flags & wire::tcp_flags::kFin))
        ++probes;
    }
    ASSERT_NE(zero_at, kNever) << "the window never closed\n" << dump(net.trace);
    std::cout << fmt::format(
        "loss {}: window closed at {} ms, {} probes before the reader resumed\n", loss,
        to_ms(zero_at - Instant{}), probes);
    // With backoff from one RTO (>= 200 ms) the probes go out about 0.2, 0.6,
    // 1.4, 3, 6.2, 12.6 s after the window closed.
    EXPECT_GE(probes, 3) << dump(net.trace);
    EXPECT_LE(probes, 12) << dump(net.trace);

    // Reading resumes: the rest must follow.
    std::vector<std::uint8_t> got;
    std::uint8_t buf[3000];
    auto reader = [&] {
      while (std::size_t n = accepted->read(buf))
        got.insert(got.end(), buf, buf + n);
      if (accepted->at_eof() && !accepted->connection().user_closed()) accepted->close();
    };
    accepted->on_event(reader);
    reader();
    ASSERT_TRUE(
        net.sim.run_until([&] { return stream->closed() && accepted->closed(); }, resume + 10min))
        << got.size() << " bytes read\n"
        << dump(net.trace);
    EXPECT_EQ(first_difference(data, got), std::string::npos) << got.size() << " bytes read";
    EXPECT_EQ(stream->error(), SocketError::None);
    EXPECT_EQ(accepted->error(), SocketError::None);

    stream = socket::TcpStream();
    accepted.reset();
    listener = socket::TcpListener();
    EXPECT_TRUE(net.run_until_empty(resume + 20min));
    net.expect_empty();
  }
}

// 50 clients connect at once; each sends a different message, half-closes
// and reads the echo; all complete, and every client holds the TIME-WAIT.
TEST(SimTransfer, FiftyConcurrentConnectionsToOneListener) {
  constexpr int kClients = 50;
  phy::LinkParams link;
  link.delay = 5ms;
  link.loss = 0.02;
  Net net(50, link);
  auto listener = net.server->listen(80);
  ASSERT_TRUE(listener);

  struct Client {
    std::vector<std::uint8_t> sent;
    std::string echoed;
    SocketError err = SocketError::None;
    bool done = false;
  };
  std::vector<Client> clients(kClients);
  std::vector<Job> jobs;
  jobs.reserve(2 * kClients + 1);
  int served = 0;

  auto serve = [&served](socket::TcpStream s) -> Job {
    auto r = co_await s.read_to_end();
    EXPECT_TRUE(r);
    if (!r) co_return;
    auto data = std::span(reinterpret_cast<const std::uint8_t*>(r->data()), r->size());
    EXPECT_EQ(co_await s.write_all(data), SocketError::None);
    s.close();
    EXPECT_EQ(co_await s.wait_closed(), SocketError::None);
    ++served;
  };
  auto accept_loop = [&]() -> Job {
    for (int i = 0; i < kClients; ++i) {
      auto a = co_await listener->accept_async();
      EXPECT_TRUE(a);
      if (!a) co_return;
      jobs.push_back(serve(std::move(*a)));
    }
  };
  auto ask = [&](Client& c, socket::TcpStream s) -> Job {
    c.err = co_await s.wait_connected();
    if (c.err == SocketError::None) c.err = co_await s.write_all(c.sent);
    s.shutdown();
    auto r = co_await s.read_to_end();
    if (r) c.echoed = std::move(*r);
    s.close();
    if (c.err == SocketError::None) c.err = co_await s.wait_closed();
    c.done = true;
  };
  jobs.push_back(accept_loop());
  Rng rng(50);
  for (Client& c : clients) {
    c.sent = random_bytes(rng, rng.between(1, 20000));
    auto s = net.client->connect(kServer, 80);
    ASSERT_TRUE(s);
    jobs.push_back(ask(c, std::move(*s)));
  }
  const Instant limit = net.sim.now() + 30min;
  bool all = net.sim.run_until(
      [&] {
        return served == kClients &&
               std::all_of(clients.begin(), clients.end(), [](const Client& c) { return c.done; });
      },
      limit);
  ASSERT_TRUE(all) << served << " of " << kClients << " served";
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE(fmt::format("client {}", i));
    const Client& c = clients[static_cast<std::size_t>(i)];
    EXPECT_EQ(c.err, SocketError::None);
    auto echoed =
        std::span(reinterpret_cast<const std::uint8_t*>(c.echoed.data()), c.echoed.size());
    EXPECT_EQ(first_difference(c.sent, echoed), std::string::npos);
  }
  EXPECT_EQ(listener->counters().established, static_cast<std::uint64_t>(kClients));
  EXPECT_EQ(listener->counters().accepted, static_cast<std::uint64_t>(kClients));
  // The clients closed first (shutdown before the server's close), so every
  // client connection went to TIME-WAIT. A few may have left it early: when
  // the server's FIN was retransmitted because an ACK was lost, the second
  // ACK from TIME-WAIT reaches a server already CLOSED, whose RST ends
  // TIME-WAIT (RFC 1337's hazard; Linux's default tcp_rfc1337=0 allows it).
  const auto& cc = net.client->tcp().counters();
  EXPECT_EQ(net.client->tcp().time_wait().size() + cc.time_wait_killed,
            static_cast<std::size_t>(kClients));
  EXPECT_LE(cc.time_wait_killed, 5u);
  EXPECT_EQ(net.server->tcp().time_wait().size(), 0u);

  jobs.clear();  // every job is finished: this releases their streams
  listener = socket::TcpListener();
  EXPECT_TRUE(net.run_until_empty(limit + 5min));
  net.expect_empty();
}

// A burst grows both buffers past their first 64 KiB; once the bytes are
// acknowledged (sender) and read (receiver), that storage is given back, so an
// idle connection does not keep what its busiest moment needed.
TEST(SimTransfer, BufferMemoryIsReturnedAfterABurst) {
  phy::LinkParams link;
  link.delay = 10ms;
  link.rate_bps = 100'000'000;
  Net net(7, link);
  Rng rng(5);
  std::vector<std::uint8_t> data = random_bytes(rng, 4 << 20);

  auto listener = net.server->listen(80);
  ASSERT_TRUE(listener);
  auto stream = net.client->connect(kServer, 80);
  ASSERT_TRUE(stream);
  std::optional<socket::TcpStream> accepted;
  std::string received;
  SocketError send_err = SocketError::None, recv_err = SocketError::None;
  Job sender = [](socket::TcpStream& s, std::span<const std::uint8_t> d, SocketError& err) -> Job {
    err = co_await s.wait_connected();
    if (err == SocketError::None) err = co_await s.write_all(d);
    s.shutdown();  // the connection stays open: only its buffers go idle
  }(*stream, data, send_err);
  Job receiver = [](socket::TcpListener& l, std::optional<socket::TcpStream>& out, std::string& got,
                    SocketError& err) -> Job {
    auto a = co_await l.accept_async();
    if (!a) {
      err = a.error();
      co_return;
    }
    out = std::move(*a);
    auto r = co_await out->read_to_end();
    if (r)
      got = std::move(*r);
    else
      err = r.error();
  }(*listener, accepted, received, recv_err);

  std::size_t peak_snd = 0, peak_rcv = 0;
  const Instant limit = net.sim.now() + 1min;
  ASSERT_TRUE(net.sim.run_until(
      [&] {
        peak_snd = std::max(peak_snd, stream->info().snd_buf_memory);
        if (accepted) peak_rcv = std::max(peak_rcv, accepted->info().rcv_buf_memory);
        return sender.done() && receiver.done() && stream->info().bytes_in_flight == 0;
      },
      limit));
  EXPECT_EQ(send_err, SocketError::None);
  EXPECT_EQ(recv_err, SocketError::None);
  ASSERT_EQ(received.size(), data.size());
  EXPECT_EQ(first_difference(data, std::span(reinterpret_cast<const std::uint8_t*>(received.data()),
                                             received.size())),
            std::string::npos);
  EXPECT_GE(peak_snd, 4u << 20);  // the whole write was held at once
  EXPECT_GT(peak_rcv, 64u << 10);
  EXPECT_EQ(stream->info().state, tcp::TcpState::FinWait2);
  EXPECT_EQ(stream->info().snd_buf_memory, 0u);
  // The reader read everything, so its buffer went back to the stack's
  // BufferPool: an idle connection holds no buffer memory.
  EXPECT_EQ(accepted->info().rcv_buf_memory, 0u);
  EXPECT_GT(net.server->tcp().buffer_stats().reused, 0u);
}
