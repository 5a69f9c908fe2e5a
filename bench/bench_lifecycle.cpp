// Connection life cycles per second between two synack stacks in memory, on
// one core: connect, a 64-byte request, a 64-byte response, close on both
// sides, until the client sits in TIME-WAIT and the server's connection is
// CLOSED. Each step mirrors bench/linux_lifecycle.cpp, which does the same
// over the kernel's loopback, so that run_lifecycle.sh can compare the two.
//
// Two ways to carry frames between the stacks:
//   sim  - phy::Simulation with zero-delay, impairment-free links;
//   pair - bench/pair_net.hpp: each transmit() is copied straight into the
//          peer's receive queue (no FaultInjector, no per-frame scheduling);
//          a plain wire (MTU 1500, every checksum computed and checked);
//   pair_lo - the same wire with the capabilities of Linux's loopback
//          (checksums trusted, 64 KiB segments), as linux_lifecycle has:
//          the like-for-like comparison.
// Benchmarks:
//   synack/lifecycle/NET                    one cycle at a time, default TcpConfig
//   synack/lifecycle_4k_buffers/NET         the same with 4 KiB send/receive buffers
//   synack/lifecycle_inflight[_4k_buffers]/NET/1000
//                                           1000 cycles at once, phase by phase
//   synack/pingpong/NET/idle:K              64-byte round trips on an established
//                                           connection, K other connections idle
// items_per_second is cycles (or round trips) per CPU-second; segs_per_item
// counts segments in both directions.
//
// Virtual time stands still while a cycle runs (zero-delay links; no timer
// is due). TIME-WAIT would then never end, so the stacks use msl = 1 ms
// (TIME-WAIT lasts 2 ms of virtual time) and the clock moves on by kTick after
// every cycle: at most 2*msl/kTick + 1 mini-sockets are alive at once (the
// counter tw_max shows the largest number seen). Expiring them is part of the
// measured cost.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "heap_counter.hpp"
#include "pair_net.hpp"
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
// Bound on event-loop rounds for one drain() or advance(): a stack that never
// goes quiet fails the benchmark instead of hanging it.
constexpr int kMaxRounds = 1'000'000;
constexpr const char* kNoProgress = "event loop did not settle";

// buffer_bytes = 0 keeps the default send and receive buffers (256 KiB each).
tcp::TcpConfig bench_tcp_config(std::size_t buffer_bytes) {
  tcp::TcpConfig t;
  t.msl = kMsl;
  if (buffer_bytes != 0) {
    t.send_buffer = buffer_bytes;
    t.recv_buffer = buffer_bytes;
  }
  // Room for the 1000-in-flight variant: every handshake of a batch may sit
  // in the listener's queues at once.
  t.syn_backlog = 4096;
  t.backlog = 4096;
  return t;
}

iface::InterfaceConfig host_config(const char* name, const char* cidr, std::size_t buffer_bytes) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  c.tcp = bench_tcp_config(buffer_bytes);
  return c;
}

// ---- the two networks ----------------------------------------------------------

// phy::Simulation with one zero-delay link and no impairments.
class SimNet {
 public:
  static constexpr const char* kName = "sim";

  explicit SimNet(std::size_t buffer_bytes)
      : sim_(1),
        client_(&sim_.add_host(host_config("client", "10.0.0.1/24", buffer_bytes))),
        server_(&sim_.add_host(host_config("server", "10.0.0.2/24", buffer_bytes))) {
    sim_.link(*client_, *server_, phy::LinkParams{});
  }
  socket::Stack& client() { return *client_; }
  socket::Stack& server() { return *server_; }
  // Handles everything due at the current instant (every frame, since links
  // have no delay). False if it does not settle within kMaxRounds steps.
  bool drain() {
    for (int i = 0; i < kMaxRounds; ++i)
      if (!sim_.step(sim_.now())) return true;
    return false;
  }
  // Moves virtual time on by d, handling what falls due on the way.
  bool advance(Duration d) {
    Instant target = sim_.now() + d;
    for (int i = 0; i < kMaxRounds; ++i)
      if (!sim_.step(target)) return true;
    return false;
  }

 private:
  phy::Simulation sim_;
  socket::Stack* client_;
  socket::Stack* server_;
};

// Two stacks joined by a pair of WireEnds (bench/pair_net.hpp).
template <bench::WireCaps Caps>
class WiredNet : public bench::PairNet {
 public:
  static constexpr const char* kName = Caps == bench::WireCaps::Plain ? "pair" : "pair_lo";
  explicit WiredNet(std::size_t buffer_bytes)
      : bench::PairNet(host_config("client", "10.0.0.1/24", buffer_bytes),
                       host_config("server", "10.0.0.2/24", buffer_bytes), kMaxRounds, Caps) {}
};
using PairNet = WiredNet<bench::WireCaps::Plain>;
using PairLoNet = WiredNet<bench::WireCaps::Loopback>;

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

// Counters shared by every synack benchmark: segments and heap allocations
// per item (both directions) and what is still alive at the end.
template <typename Net>
void report(benchmark::State& state, Net& net, std::uint64_t seg_before,
            std::uint64_t allocs_before, std::int64_t items) {
  state.SetItemsProcessed(items);
  if (items > 0) {
    double segs = static_cast<double>(segments_in(net.client(), net.server()) - seg_before);
    state.counters["segs_per_item"] = segs / static_cast<double>(items);
    // Heap allocations per cycle, both stacks and the wire (0 is the goal).
    double allocs = static_cast<double>(bench::heap_allocations() - allocs_before);
    state.counters["allocs_per_item"] = allocs / static_cast<double>(items);
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
  if (!net.drain()) return kNoProgress;
  if (!c->connected()) return "handshake did not complete";
  if (c->write(m.request) != kMsgLen) return "client write short";
  auto a = listener.accept();
  if (!a) return "nothing to accept";
  if (!net.drain()) return kNoProgress;
  if (a->read(m.buf) != kMsgLen) return "server read short";
  if (a->write(m.response) != kMsgLen) return "server write short";
  if (!net.drain()) return kNoProgress;
  if (c->read(m.buf) != kMsgLen) return "client read short";
  c->close();
  if (!net.drain()) return kNoProgress;
  if (a->read(m.buf) != 0 || !a->at_eof()) return "server saw no FIN";
  a->close();
  if (!net.drain()) return kNoProgress;
  if (c->state() != tcp::TcpState::TimeWait) return "client not in TIME-WAIT";
  if (a->state() != tcp::TcpState::Closed) return "server connection not closed";
  return nullptr;  // the handles go: both connections are done
}

template <typename Net>
void BM_Lifecycle(benchmark::State& state, std::size_t buffer_bytes) {
  Net net(buffer_bytes);
  auto listener = net.server().listen(kPort);
  if (!listener) {
    state.SkipWithError("listen failed");
    return;
  }
  Messages m;
  std::size_t tw_max = 0;
  std::uint64_t seg0 = segments_in(net.client(), net.server());
  std::uint64_t allocs0 = bench::heap_allocations();
  const char* error = nullptr;
  for (auto _ : state) {
    error = one_cycle(net, *listener, m);
    if (error) break;
    tw_max = std::max(tw_max, net.client().tcp().time_wait().size());
    if (!net.advance(kTick)) {
      error = kNoProgress;
      break;
    }
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, allocs0, state.iterations());
  state.counters["tw_max"] = static_cast<double>(tw_max);
}

// ---- many cycles in flight -----------------------------------------------------------

// N cycles at once, phase by phase (as linux_lifecycle.cpp does with N
// sockets): N connects, N requests, N accepts, N responses, N client closes,
// N server closes. All N connections are alive together in every phase.
template <typename Net>
void BM_LifecycleInFlight(benchmark::State& state, std::size_t buffer_bytes) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Net net(buffer_bytes);
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
  std::uint64_t allocs0 = bench::heap_allocations();
  const char* error = nullptr;
  auto run_batch = [&]() -> const char* {
    for (std::size_t i = 0; i < n; ++i) {
      auto c = net.client().connect(kServerAddr, kPort);
      if (!c) return "connect failed";
      clients.push_back(std::move(*c));
    }
    if (!net.drain()) return kNoProgress;
    for (auto& c : clients) {
      if (!c.connected()) return "handshake did not complete";
      if (c.write(m.request) != kMsgLen) return "client write short";
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto a = listener->accept();
      if (!a) return "nothing to accept";
      servers.push_back(std::move(*a));
    }
    if (!net.drain()) return kNoProgress;
    for (auto& a : servers) {
      if (a.read(m.buf) != kMsgLen) return "server read short";
      if (a.write(m.response) != kMsgLen) return "server write short";
    }
    if (!net.drain()) return kNoProgress;
    for (auto& c : clients) {
      if (c.read(m.buf) != kMsgLen) return "client read short";
      c.close();
    }
    if (!net.drain()) return kNoProgress;
    for (auto& a : servers) {
      if (a.read(m.buf) != 0 || !a.at_eof()) return "server saw no FIN";
      a.close();
    }
    if (!net.drain()) return kNoProgress;
    for (auto& c : clients)
      if (c.state() != tcp::TcpState::TimeWait) return "client not in TIME-WAIT";
    for (auto& a : servers)
      if (a.state() != tcp::TcpState::Closed) return "server connection not closed";
    clients.clear();
    servers.clear();
    return nullptr;
  };
  // One batch first, untimed: the first 2*N connections take their buffers
  // straight from the kernel (page faults); later batches reuse the heap.
  error = run_batch();
  if (error) {
    state.SkipWithError(error);
    return;
  }
  if (!net.advance(2 * kMsl + kTick)) {
    state.SkipWithError(kNoProgress);
    return;
  }
  seg0 = segments_in(net.client(), net.server());
  allocs0 = bench::heap_allocations();
  for (auto _ : state) {
    error = run_batch();
    if (error) break;
    tw_max = std::max(tw_max, net.client().tcp().time_wait().size());
    // The whole batch's TIME-WAIT ends before the next batch starts.
    if (!net.advance(2 * kMsl + kTick)) {
      error = kNoProgress;
      break;
    }
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, allocs0, state.iterations() * static_cast<std::int64_t>(n));
  state.counters["tw_max"] = static_cast<double>(tw_max);
}

// ---- segment processing: ping-pong on an established connection ---------------------

// Round trips of 64 bytes each way on one established connection, with
// range(0) other established connections sitting idle (they cost nothing
// per segment in an ideal stack).
template <typename Net>
void BM_PingPong(benchmark::State& state, std::size_t buffer_bytes) {
  const auto idle = static_cast<std::size_t>(state.range(0));
  Net net(buffer_bytes);
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
  if (!net.drain()) {
    state.SkipWithError(kNoProgress);
    return;
  }
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
  std::uint64_t allocs0 = bench::heap_allocations();
  auto round_trip = [&]() -> const char* {
    if (c.write(m.request) != kMsgLen) return "client write short";
    if (!net.drain()) return kNoProgress;
    if (a->read(m.buf) != kMsgLen) return "server read short";
    if (a->write(m.response) != kMsgLen) return "server write short";
    if (!net.drain()) return kNoProgress;
    if (c.read(m.buf) != kMsgLen) return "client read short";
    return nullptr;
  };
  const char* error = nullptr;
  for (auto _ : state) {
    error = round_trip();
    if (error) break;
  }
  if (error) {
    state.SkipWithError(error);
    return;
  }
  report(state, net, seg0, allocs0, state.iterations());
}

constexpr std::size_t kDefaultBuffers = 0;  // TcpConfig's 256 KiB
constexpr std::size_t kSmallBuffers = 4096;

template <typename Net>
void register_all() {
  const std::string net = Net::kName;
  auto add = [](const std::string& name, auto fn, std::size_t buffers) {
    return benchmark::RegisterBenchmark(name.c_str(), fn, buffers);
  };
  add("synack/lifecycle/" + net, BM_Lifecycle<Net>, kDefaultBuffers);
  add("synack/lifecycle_4k_buffers/" + net, BM_Lifecycle<Net>, kSmallBuffers);
  add("synack/lifecycle_inflight/" + net, BM_LifecycleInFlight<Net>, kDefaultBuffers)->Arg(1000);
  add("synack/lifecycle_inflight_4k_buffers/" + net, BM_LifecycleInFlight<Net>, kSmallBuffers)
      ->Arg(1000);
  add("synack/pingpong/" + net, BM_PingPong<Net>, kDefaultBuffers)
      ->ArgName("idle")
      ->Arg(0)
      ->Arg(1000);
}

}  // namespace

int main(int argc, char** argv) {
  // Every synack connection allocates (and zero-fills) its send and receive
  // buffers up front. With glibc's adaptive thresholds a batch of 2000 such
  // connections is freed onto the top of the heap and trimmed back to the
  // kernel, so the next batch page-faults its gigabyte in again, or not,
  // depending on what else sits at the top of the heap: the 1000-in-flight
  // figures then swing by 20x from run to run. Fixed thresholds keep freed
  // memory in the heap. SYNACK_BENCH_MALLOC=default keeps glibc's defaults.
  const char* malloc_mode = std::getenv("SYNACK_BENCH_MALLOC");
  if (malloc_mode == nullptr || std::string_view(malloc_mode) != "default") {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  }
  register_all<PairNet>();
  register_all<PairLoNet>();
  register_all<SimNet>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
