// Memory per established connection: two synack stacks in one process (the
// "pair" network of bench/pair_net.hpp) open N connections, each sends 64
// bytes each way and reads them, and the process's RSS growth is divided by
// 2N (both ends live here). Then K of the connections move 1 MiB each way
// (read as it arrives) and the figure is taken again: buffer memory follows
// data, so it should not move. bench/linux_memory.cpp does the same over the
// kernel's loopback; bench/run_memory.sh prints the two side by side.
//
// usage: bench_memory [N] [K]      (defaults: 10000 connections, K = 100)
// Output: one "key value" per line (connections, rss_per_end_bytes, ...).
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "pair_net.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;

namespace {

constexpr std::size_t kMsgLen = 64;
constexpr std::size_t kBatch = 10'000;    // connections opened per round
constexpr std::size_t kPerPort = 25'000;  // below the 28,232 ephemeral ports
constexpr std::uint16_t kFirstPort = 1000;
constexpr std::size_t kBulk = 1 << 20;
const wire::Ipv4Address kServer(10, 0, 0, 2);

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4096;
}

// What a long-lived process would hold: freed heap given back first.
std::size_t settled_rss() {
  malloc_trim(0);
  return rss_bytes();
}

iface::InterfaceConfig host(const char* name, const char* cidr, std::size_t n) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  // The default bound (a million connections per stack) is what is being
  // shown; only a larger N raises it.
  if (n + 16 > c.tcp.max_connections) c.tcp.max_connections = n + 16;
  c.tcp.max_request_socks = kBatch + 16;  // a whole batch in handshakes at once
  c.tcp.syn_backlog = static_cast<int>(kBatch + 16);
  c.tcp.backlog = static_cast<int>(kBatch + 16);
  return c;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "bench_memory: %s\n", what);
  std::exit(1);
}

// Moves `bytes` from a to b, reading as it arrives.
void transfer(bench::PairNet& net, socket::TcpStream& a, socket::TcpStream& b, std::size_t bytes) {
  static std::vector<std::uint8_t> chunk(64 * 1024, 'b');
  static std::vector<std::uint8_t> sink(64 * 1024);
  std::size_t sent = 0, got = 0;
  while (got < bytes) {
    if (sent < bytes) sent += a.write(std::span(chunk).first(std::min(chunk.size(), bytes - sent)));
    if (!net.drain()) fail("event loop did not settle");
    while (std::size_t n = b.read(sink))
      got += n;
    if (!net.drain()) fail("event loop did not settle");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000;
  std::size_t k = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100;
  if (n == 0 || k > n) fail("usage: bench_memory [N>0] [K<=N]");

  bench::PairNet net(host("client", "10.0.0.1/24", n), host("server", "10.0.0.2/24", n), 1'000'000);
  std::size_t ports = (n + kPerPort - 1) / kPerPort;
  std::vector<socket::TcpListener> listeners;
  for (std::size_t p = 0; p < ports; ++p) {
    auto l = net.server().listen(static_cast<std::uint16_t>(kFirstPort + p));
    if (!l) fail("listen failed");
    listeners.push_back(std::move(*l));
  }
  std::vector<socket::TcpStream> clients, servers;
  clients.reserve(n);
  servers.reserve(n);
  std::vector<std::uint8_t> msg(kMsgLen, 'm'), buf(kMsgLen);
  std::size_t base = settled_rss();
  std::size_t heap_base = mallinfo2().uordblks;

  for (std::size_t first = 0; first < n; first += kBatch) {
    std::size_t last = std::min(n, first + kBatch);
    for (std::size_t i = first; i < last; ++i) {
      auto c = net.client().connect(kServer, static_cast<std::uint16_t>(kFirstPort + i / kPerPort));
      if (!c) fail("connect failed");
      clients.push_back(std::move(*c));
    }
    if (!net.drain()) fail("event loop did not settle");
    for (auto& l : listeners)
      while (auto a = l.accept())
        servers.push_back(std::move(*a));
    if (servers.size() != last) fail("not every connection was accepted");
    for (std::size_t i = first; i < last; ++i) {
      if (clients[i].write(msg) != kMsgLen || servers[i].write(msg) != kMsgLen) fail("short write");
    }
    if (!net.drain()) fail("event loop did not settle");
    for (std::size_t i = first; i < last; ++i) {
      if (clients[i].read(buf) != kMsgLen || servers[i].read(buf) != kMsgLen) fail("short read");
    }
    if (!net.drain()) fail("event loop did not settle");  // the ACKs
  }
  std::size_t after_small = settled_rss();
  std::size_t heap_small = mallinfo2().uordblks;

  // Accepted streams come in accept order; pair each client with its server.
  for (std::size_t i = 0; i < k; ++i) {
    socket::TcpStream* peer = nullptr;
    for (auto& s : servers)
      if (s.tuple().remote_port == clients[i].tuple().local_port &&
          s.tuple().local_port == clients[i].tuple().remote_port) {
        peer = &s;
        break;
      }
    if (!peer) fail("no server end");
    transfer(net, clients[i], *peer, kBulk);
    transfer(net, *peer, clients[i], kBulk);
  }
  std::size_t after_bulk = settled_rss();
  const auto& cs = net.client().tcp().buffer_stats();
  const auto& ss = net.server().tcp().buffer_stats();

  auto per_end = [&](std::size_t rss) { return static_cast<double>(rss - base) / (2.0 * n); };
  std::printf("connections %zu\n", n);
  std::printf("sizeof_connection %zu\n", sizeof(tcp::Connection));
  std::printf("rss_base_bytes %zu\n", base);
  std::printf("rss_per_end_bytes %.0f\n", per_end(after_small));
  // Of which heap in use (malloc'd and not freed), the rest being the
  // connection pools' slots and what the allocator keeps.
  std::printf("heap_per_end_bytes %.0f\n",
              static_cast<double>(heap_small - heap_base) / (2.0 * static_cast<double>(n)));
  std::printf("bulk_connections %zu\n", k);
  std::printf("rss_per_end_after_bulk_bytes %.0f\n", per_end(after_bulk));
  std::printf("buffer_pool_cached_bytes %zu\n", cs.cached_bytes + ss.cached_bytes);
  std::printf("buffer_bytes_held %zu\n", cs.outstanding_bytes + ss.outstanding_bytes);
  return 0;
}
