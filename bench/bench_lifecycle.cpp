// Connection life cycles per second between two synack stacks in memory, on
// one core: connect, a 64-byte request, a 64-byte response, close on both
// sides, until the client sits in TIME-WAIT and the server's connection is
// CLOSED. Each step mirrors bench/linux_lifecycle.cpp, which does the same
// over the kernel's loopback, so that run_lifecycle.sh can compare the two.
//
// Two ways to carry frames between the stacks:
//   sim  - phy::Simulation with zero-delay, impairment-free links;
//   pair - QueuePair below: each transmit() is copied straight into the
//          peer's receive queue (no FaultInjector, no per-frame scheduling).
//
// Virtual time stands still while a cycle runs (zero-delay links; no timer
// is due). TIME-WAIT would then never end, so the stacks use msl = 1 ms
// (TIME-WAIT lasts 2 ms of virtual time) and the clock moves on by kTick after
// every cycle: at most 2*msl/kTick + 1 mini-sockets are alive at once (the
// counter tw_max shows the largest number seen). Expiring them is part of the
// measured cost.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMsgLen = 64;
constexpr std::uint16_t kPort = 80;
constexpr Duration kMsl = 1ms;
constexpr Duration kTick = 250us;
const wire::Ipv4Address kServerAddr(10, 0, 0, 2);

tcp::TcpConfig bench_tcp_config() {
  tcp::TcpConfig t;
  t.msl = kMsl;
  // Room for the 1000-in-flight variant: every handshake of a batch may sit
  // in the listener's queues at once.
  t.syn_backlog = 4096;
  t.backlog = 4096;
  return t;
}

iface::InterfaceConfig host_config(const char* name, const char* cidr) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  c.tcp = bench_tcp_config();
  return c;
}

// ---- the two networks ----------------------------------------------------------

// phy::Simulation with one zero-delay link and no impairments.
class SimNet {
 public:
  static constexpr const char* kName = "sim";

  SimNet()
      : sim_(1),
        client_(&sim_.add_host(host_config("client", "10.0.0.1/24"))),
        server_(&sim_.add_host(host_config("server", "10.0.0.2/24"))) {
    sim_.link(*client_, *server_, phy::LinkParams{});
  }
  socket::Stack& client() { return *client_; }
  socket::Stack& server() { return *server_; }
  // Handles everything due at the current instant (every frame, since links
  // have no delay).
  void drain() { sim_.run_until(sim_.now()); }
  void advance(Duration d) { sim_.run_for(d); }

 private:
  phy::Simulation sim_;
  socket::Stack* client_;
  socket::Stack* server_;
};

// One side of a pair of devices wired back to back: transmit() copies the
// frame into the peer's queue. Frame buffers are reused once the queue has
// been drained, so steady state allocates nothing.
class QueueDevice final : public iface::Device {
 public:
  void set_peer(QueueDevice* peer) { peer_ = peer; }
  bool pending() const { return head_ != tail_; }

  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (head_ == tail_) {
      head_ = tail_ = 0;
      return std::nullopt;
    }
    const auto& f = frames_[head_++];
    return std::span<const std::uint8_t>(f);
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override { peer_->push(frame); }

 private:
  void push(std::span<const std::uint8_t> frame) {
    if (tail_ == frames_.size()) frames_.emplace_back();
    frames_[tail_++].assign(frame.begin(), frame.end());
  }

  QueueDevice* peer_ = nullptr;
  std::vector<std::vector<std::uint8_t>> frames_;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

// Two stacks joined by a QueueDevice pair, polled by a minimal event loop.
class PairNet {
 public:
  static constexpr const char* kName = "pair";

  PairNet()
      : client_(host_config("client", "10.0.0.1/24")),
        server_(host_config("server", "10.0.0.2/24")) {
    client_dev_.set_peer(&server_dev_);
    server_dev_.set_peer(&client_dev_);
  }
  socket::Stack& client() { return client_; }
  socket::Stack& server() { return server_; }

  void drain() {
    while (true) {
      bool c = client_dev_.pending() || client_.poll_at() <= now_;
      bool s = server_dev_.pending() || server_.poll_at() <= now_;
      if (!c && !s) return;
      if (c) client_.poll(now_, client_dev_);
      if (s) server_.poll(now_, server_dev_);
    }
  }
  void advance(Duration d) {
    Instant target = now_ + d;
    while (true) {
      drain();
      Instant next = earliest(client_.poll_at(), server_.poll_at());
      if (next > target) break;
      set_time(std::max(next, now_));
    }
    set_time(target);
  }

 private:
  void set_time(Instant t) {
    now_ = t;
    client_.set_time(t);
    server_.set_time(t);
  }

  Instant now_{};
  socket::Stack client_;
  socket::Stack server_;
  QueueDevice client_dev_;
  QueueDevice server_dev_;
};

// ---- helpers -------------------------------------------------------------------

struct Messages {
  std::array<std::uint8_t, kMsgLen> request;
  std::array<std::uint8_t, kMsgLen> response;
  std::array<std::uint8_t, 2 * kMsgLen> buf{};
  Messages() {
    request.fill('q');
    response.fill('r');
  }
};

std::uint64_t segments_in(socket::Stack& a, socket::Stack& b) {
  return a.tcp().counters().segments_in + b.tcp().counters().segments_in;
}

// Counters shared by every synack benchmark: segments per item (both
// directions) and what is still alive at the end.
template <typename Net>
void report(benchmark::State& state, Net& net, std::uint64_t seg_before, std::int64_t items) {
  state.SetItemsProcessed(items);
  if (items > 0) {
    double segs = static_cast<double>(segments_in(net.client(), net.server()) - seg_before);
    state.counters["segs_per_item"] = segs / static_cast<double>(items);
  }
  state.counters["conn_live_end"] = static_cast<double>(net.client().tcp().connection_pool().live +
                                                        net.server().tcp().connection_pool().live);
}

// ---- one cycle at a time ---------------------------------------------------------

// The same sequence as the blocking Linux program: connect (done when the
// handshake is), write the request, accept, read it, write the response,
// read it, close the client, see EOF on the server and close it.
template <typename Net>
const char* one_cycle(Net& net, socket::TcpListener& listener, Messages& m) {
  auto c = net.client().connect(kServerAddr, kPort);
  if (!c) return "connect failed";
  net.drain();
  if (!c->connected()) return "handshake did not complete";
  if (c->write(m.request) != kMsgLen) return "client write short";
  auto a = listener.accept();
  if (!a) return "nothing to accept";
  net.drain();
  if (a->read(m.buf) != kMsgLen) return "server read short";
  if (a->write(m.response) != kMsgLen) return "server write short";
  net.drain();
  if (c->read(m.buf) != kMsgLen) return "client read short";
  c->close();
  net.drain();
  if (a->read(m.buf) != 0 || !a->at_eof()) return "server saw no FIN";
  a->close();
  net.drain();
  if (c->state() != tcp::TcpState::TimeWait) return "client not in TIME-WAIT";
  if (a->state() != tcp::TcpState::Closed) return "server connection not closed";
  return nullptr;  // the handles go: both connections are done
}

template <typename Net>
void BM_Lifecycle(benchmark::State& state) {
  Net net;
  auto listener = net.server().listen(kPort);
  if (!listener) {
    state.SkipWithError("listen failed");
    return;
  }
  Messages m;
  std::size_t tw_max = 0;
  std::uint64_t seg0 = segments_in(net.client(), net.server());
  const char* error = nullptr;
  for (auto _ : state) {
    error = one_cycle(net, *listener, m);
    if (error) break;
    tw_max = std::max(tw_max, net.client().tcp().time_wait().size());
    net.advance(kTick);
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, state.iterations());
  state.counters["tw_max"] = static_cast<double>(tw_max);
}

// ---- many cycles in flight -----------------------------------------------------------

// N cycles at once, phase by phase (as linux_lifecycle.cpp does with N
// sockets): N connects, N requests, N accepts, N responses, N client closes,
// N server closes. All N connections are alive together in every phase.
template <typename Net>
void BM_LifecycleInFlight(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Net net;
  auto listener = net.server().listen(kPort);
  if (!listener) {
    state.SkipWithError("listen failed");
    return;
  }
  Messages m;
  std::vector<socket::TcpStream> clients;
  std::vector<socket::TcpStream> servers;
  clients.reserve(n);
  servers.reserve(n);
  std::size_t tw_max = 0;
  std::uint64_t seg0 = segments_in(net.client(), net.server());
  const char* error = nullptr;
  auto run_batch = [&]() -> const char* {
    for (std::size_t i = 0; i < n; ++i) {
      auto c = net.client().connect(kServerAddr, kPort);
      if (!c) return "connect failed";
      clients.push_back(std::move(*c));
    }
    net.drain();
    for (auto& c : clients) {
      if (!c.connected()) return "handshake did not complete";
      if (c.write(m.request) != kMsgLen) return "client write short";
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto a = listener->accept();
      if (!a) return "nothing to accept";
      servers.push_back(std::move(*a));
    }
    net.drain();
    for (auto& a : servers) {
      if (a.read(m.buf) != kMsgLen) return "server read short";
      if (a.write(m.response) != kMsgLen) return "server write short";
    }
    net.drain();
    for (auto& c : clients) {
      if (c.read(m.buf) != kMsgLen) return "client read short";
      c.close();
    }
    net.drain();
    for (auto& a : servers) {
      if (a.read(m.buf) != 0 || !a.at_eof()) return "server saw no FIN";
      a.close();
    }
    net.drain();
    for (auto& c : clients)
      if (c.state() != tcp::TcpState::TimeWait) return "client not in TIME-WAIT";
    for (auto& a : servers)
      if (a.state() != tcp::TcpState::Closed) return "server connection not closed";
    clients.clear();
    servers.clear();
    return nullptr;
  };
  for (auto _ : state) {
    error = run_batch();
    if (error) break;
    tw_max = std::max(tw_max, net.client().tcp().time_wait().size());
    // The whole batch's TIME-WAIT ends before the next batch starts.
    net.advance(2 * kMsl + kTick);
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, state.iterations() * static_cast<std::int64_t>(n));
  state.counters["tw_max"] = static_cast<double>(tw_max);
}

// ---- segment processing: ping-pong on an established connection ---------------------

// Round trips of 64 bytes each way on one established connection, with
// range(0) other established connections sitting idle (they cost nothing
// per segment in an ideal stack).
template <typename Net>
void BM_PingPong(benchmark::State& state) {
  const auto idle = static_cast<std::size_t>(state.range(0));
  Net net;
  auto listener = net.server().listen(kPort);
  if (!listener) {
    state.SkipWithError("listen failed");
    return;
  }
  std::vector<socket::TcpStream> streams;
  for (std::size_t i = 0; i < idle + 1; ++i) {
    auto c = net.client().connect(kServerAddr, kPort);
    if (!c) {
      state.SkipWithError("connect failed");
      return;
    }
    streams.push_back(std::move(*c));
  }
  net.drain();
  for (std::size_t i = 0; i < idle + 1; ++i) {
    auto a = listener->accept();
    if (!a) {
      state.SkipWithError("nothing to accept");
      return;
    }
    streams.push_back(std::move(*a));
  }
  socket::TcpStream& c = streams.front();
  socket::TcpStream* a = nullptr;
  for (auto& s : streams)
    if (s.tuple().local_port == kPort && s.tuple().remote_port == c.tuple().local_port) a = &s;
  if (!a || !c.connected()) {
    state.SkipWithError("setup failed");
    return;
  }
  Messages m;
  std::uint64_t seg0 = segments_in(net.client(), net.server());
  const char* error = nullptr;
  for (auto _ : state) {
    if (c.write(m.request) != kMsgLen) error = "client write short";
    net.drain();
    if (!error && a->read(m.buf) != kMsgLen) error = "server read short";
    if (!error && a->write(m.response) != kMsgLen) error = "server write short";
    net.drain();
    if (!error && c.read(m.buf) != kMsgLen) error = "client read short";
    if (error) break;
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, state.iterations());
}

template <typename Net>
void register_all() {
  std::string net = Net::kName;
  benchmark::RegisterBenchmark(("synack/lifecycle/" + net).c_str(), BM_Lifecycle<Net>)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("synack/lifecycle_inflight/" + net).c_str(),
                               BM_LifecycleInFlight<Net>)
      ->Arg(1000)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("synack/pingpong/" + net).c_str(), BM_PingPong<Net>)
      ->ArgName("idle")
      ->Arg(0)
      ->Arg(1000)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  register_all<PairNet>();
  register_all<SimNet>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
