// Bulk throughput of one connection between two synack stacks in memory, on
// one core, beside memcpy and Linux's own loopback measured in the same run
// (a TCP byte is copied several times on its way: user -> send buffer ->
// segment -> link -> receive buffer -> user, and without offloads
// checksummed twice).
//
// Ways to carry frames between the stacks:
//   sim     - phy::Simulation with a zero-delay, impairment-free link;
//   pair    - WirePair: transmit() appends to the peer's queue and the two
//             stacks are polled in turn (no simulator, no per-frame
//             scheduling); MTU 1500, no offloads;
//   pair_lo - the same with Linux loopback's capabilities: 64 KiB segments,
//             checksums neither computed nor checked.
// Benchmarks:
//   synack/stream/NET/buf_kib:B   one connection, B KiB send and receive
//                                 buffers, each iteration moves 1 MiB
//   synack/stream/pair_lo_zerocopy/buf_kib:B
//                                 the same through write_view()/commit() and
//                                 read_view()/consume()
//   linux/stream/loopback         a kernel TCP connection over 127.0.0.1,
//                                 driven the same way from one thread
//   memcpy/mib:M                  memcpy between two M MiB buffers
// Counter Gbit is goodput (payload bytes the receiver read) per CPU second;
// segs_per_MiB counts data segments and allocs_per_MiB heap allocations
// (both stacks and the wire) after an 8 MiB warm-up. After the tables, one
// line per stream benchmark gives its ratio to memcpy/mib:1 and to Linux
// loopback. Not a test: nothing is asserted.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "heap_counter.hpp"
#include "phy/simulation.hpp"
#include "rate_reporter.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire_pair.hpp"

using namespace synack;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kChunk = 1 << 20;  // bytes per benchmark iteration
constexpr std::uint16_t kPort = 5001;
const wire::Ipv4Address kServerAddr(10, 0, 0, 2);
// A stack that stops making progress fails the benchmark instead of hanging.
constexpr int kMaxIdleRounds = 1000;

using bench::host_config;
using bench::WirePair;

// ---- the two networks ----------------------------------------------------------

class SimNet {
 public:
  static constexpr const char* kName = "sim";
  explicit SimNet(std::size_t buffer)
      : sim_(1),
        client_(&sim_.add_host(host_config("client", "10.0.0.1/24", buffer))),
        server_(&sim_.add_host(host_config("server", "10.0.0.2/24", buffer))) {
    sim_.link(*client_, *server_, phy::LinkParams{});
  }
  socket::Stack& client() { return *client_; }
  socket::Stack& server() { return *server_; }
  // Handles what is due now; when nothing is, moves virtual time to the next
  // deadline (a delayed ACK, say) and handles that. False if nothing at all
  // is pending.
  bool step() { return sim_.step(sim_.now()) || sim_.step(sim_.now() + 10s); }

 private:
  phy::Simulation sim_;
  socket::Stack* client_;
  socket::Stack* server_;
};

// The same pair with Linux loopback's capabilities: 64 KiB segments whose
// checksums are never computed.
class LoopbackPair : public WirePair {
 public:
  static constexpr const char* kName = "pair_lo";
  explicit LoopbackPair(std::size_t buffer) : WirePair(buffer, bench::WireCaps::Loopback) {}
};

// ---- the stream benchmark -----------------------------------------------------------

// How the application moves its bytes: write()/read() copy from and to its
// own buffers; ZeroCopy fills the send buffer in place (write_view, commit)
// and reads the receive buffer in place (read_view, consume), so the bytes
// are written once by the application and copied only by the stack, into
// the segment and out of it.
enum class Io { Copy, ZeroCopy };

// Writes until the send buffer is full; reads everything readable (counted).
template <Io io>
void pump(socket::TcpStream& tx, socket::TcpStream& rx, std::span<const std::uint8_t> out,
          std::span<std::uint8_t> in, std::uint64_t& received) {
  if constexpr (io == Io::Copy) {
    while (tx.write(out) == out.size()) {
    }
    while (std::size_t n = rx.read(in))
      received += n;
  } else {
    for (auto v = tx.write_view(out.size()); !v.empty(); v = tx.write_view(out.size())) {
      std::memset(v.data(), 0x5a, v.size());  // the application makes its bytes in place
      tx.commit(v.size());
    }
    for (auto v = rx.read_view(); !v.empty(); v = rx.read_view()) {
      benchmark::DoNotOptimize(v.data());
      received += rx.consume(v.size());
    }
  }
}

template <typename Net, Io io = Io::Copy>
void BM_Stream(benchmark::State& state) {
  const std::size_t buffer = static_cast<std::size_t>(state.range(0)) << 10;
  Net net(buffer);
  auto listener = net.server().listen(kPort);
  auto tx = net.client().connect(kServerAddr, kPort);
  if (!listener || !tx) {
    state.SkipWithError("listen or connect failed");
    return;
  }
  std::optional<socket::TcpStream> rx;
  for (int i = 0; i < kMaxIdleRounds && !rx; ++i) {
    net.step();
    rx = listener->accept();
  }
  if (!rx || !tx->connected()) {
    state.SkipWithError("handshake did not complete");
    return;
  }
  std::vector<std::uint8_t> out(64 << 10, 0x5a);
  std::vector<std::uint8_t> in(64 << 10);
  std::uint64_t received = 0;
  std::uint64_t target = 0;
  // Warm-up: the first MiBs grow the buffers and the window; steady state is
  // what is measured (allocations per MiB should then be zero).
  while (received < 8 * kChunk) {
    pump<io>(*tx, *rx, out, in, received);
    if (!net.step()) {
      state.SkipWithError("the warm-up stopped making progress");
      return;
    }
  }
  const std::uint64_t warm = received;
  target = received;
  const std::uint64_t segs_before = net.server().tcp().counters().segments_in;
  const std::uint64_t allocs_before = bench::heap_allocations();
  for (auto _ : state) {
    target += kChunk;  // cumulative: bytes read past one target count toward the next
    int idle = 0;
    while (received < target) {
      const std::uint64_t before = received;
      pump<io>(*tx, *rx, out, in, received);
      if (!net.step() || (received == before && ++idle > kMaxIdleRounds)) {
        state.SkipWithError("the transfer stopped making progress");
        return;
      }
      if (received != before) idle = 0;
    }
  }
  const double allocs = static_cast<double>(bench::heap_allocations() - allocs_before);
  const double bytes = static_cast<double>(received - warm);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["Gbit"] = benchmark::Counter(bytes * 8 / 1e9, benchmark::Counter::kIsRate);
  state.counters["allocs_per_MiB"] = allocs / (bytes / kChunk);
  state.counters["segs_per_MiB"] =
      static_cast<double>(net.server().tcp().counters().segments_in - segs_before) /
      (bytes / kChunk);
}

// Linux's own loopback in the same run, on the same core: one thread drives
// a 127.0.0.1 connection through non-blocking sockets (write until EAGAIN,
// read until EAGAIN), as the synack pair is driven; the kernel's default
// buffers (autotuned) and congestion control (CUBIC).
void BM_LinuxLoopback(benchmark::State& state) {
  int lsn = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (lsn < 0 || ::bind(lsn, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(lsn, 1) != 0 || ::getsockname(lsn, reinterpret_cast<sockaddr*>(&a), &alen) != 0) {
    state.SkipWithError("loopback listen failed");
    if (lsn >= 0) ::close(lsn);
    return;
  }
  int tx = ::socket(AF_INET, SOCK_STREAM, 0);
  if (tx < 0 || ::connect(tx, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    state.SkipWithError("loopback connect failed");
    ::close(lsn);
    if (tx >= 0) ::close(tx);
    return;
  }
  int rx = ::accept(lsn, nullptr, nullptr);
  ::close(lsn);
  ::fcntl(tx, F_SETFL, O_NONBLOCK);
  ::fcntl(rx, F_SETFL, O_NONBLOCK);
  std::vector<std::uint8_t> out(64 << 10, 0x5a);
  std::vector<std::uint8_t> in(64 << 10);
  std::uint64_t received = 0;
  std::uint64_t target = 0;
  for (auto _ : state) {
    target += kChunk;  // cumulative: bytes read past one target count toward the next
    while (received < target) {
      while (::send(tx, out.data(), out.size(), 0) > 0) {
      }
      ssize_t n;
      while ((n = ::recv(rx, in.data(), in.size(), 0)) > 0)
        received += static_cast<std::uint64_t>(n);
    }
  }
  ::close(tx);
  ::close(rx);
  const double bytes = static_cast<double>(received);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["Gbit"] = benchmark::Counter(bytes * 8 / 1e9, benchmark::Counter::kIsRate);
}

void BM_Memcpy(benchmark::State& state) {
  const std::size_t size = static_cast<std::size_t>(state.range(0)) << 20;
  std::vector<std::uint8_t> src(size, 0x5a), dst(size);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(size);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["Gbit"] = benchmark::Counter(bytes * 8 / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Stream<SimNet>)->Name("synack/stream/sim")->ArgName("buf_kib")->Arg(256)->Arg(4096);
BENCHMARK(BM_Stream<WirePair>)->Name("synack/stream/pair")->ArgName("buf_kib")->Arg(256)->Arg(4096);
BENCHMARK(BM_Stream<LoopbackPair>)
    ->Name("synack/stream/pair_lo")
    ->ArgName("buf_kib")
    ->Arg(256)
    ->Arg(4096);
BENCHMARK(BM_Stream<LoopbackPair, Io::ZeroCopy>)
    ->Name("synack/stream/pair_lo_zerocopy")
    ->ArgName("buf_kib")
    ->Arg(256)
    ->Arg(4096);
BENCHMARK(BM_LinuxLoopback)->Name("linux/stream/loopback");
// 1 MiB, the stream's unit of work, stays in the caches as the stream's
// buffers mostly do; 64 MiB shows the memory's bandwidth for comparison.
BENCHMARK(BM_Memcpy)->Name("memcpy")->ArgName("mib")->Arg(1)->Arg(64);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::RateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  auto memcpy_rate = reporter.rates().find("memcpy/mib:1");
  if (memcpy_rate == reporter.rates().end() || memcpy_rate->second <= 0) return 0;
  for (const auto& [name, rate] : reporter.rates())
    if (name.rfind("memcpy/", 0) == 0) std::printf("%s: %.2f Gbit/s\n", name.c_str(), rate);
  auto lo = reporter.rates().find("linux/stream/loopback");
  const double lo_rate = lo == reporter.rates().end() ? 0 : lo->second;
  if (lo_rate > 0) std::printf("linux/stream/loopback: %.2f Gbit/s\n", lo_rate);
  for (const auto& [name, rate] : reporter.rates()) {
    if (name.rfind("synack/", 0) != 0) continue;
    std::printf("%s: %.2f Gbit/s, %.3f of memcpy/mib:1", name.c_str(), rate,
                rate / memcpy_rate->second);
    if (lo_rate > 0) std::printf(", %.2fx Linux loopback", rate / lo_rate);
    std::printf("\n");
  }
  return 0;
}
