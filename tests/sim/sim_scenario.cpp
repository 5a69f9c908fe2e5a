// Scenario generation: every parameter of a run drawn from its seed.
#include <fmt/format.h>

#include <algorithm>

#include "sim_workload.hpp"

namespace synack::simtest {

using namespace std::chrono_literals;

std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t v = rng.next();
    for (std::size_t j = i; j < std::min(n, i + 8); ++j, v >>= 8)
      out[j] = static_cast<std::uint8_t>(v);
  }
  return out;
}

std::size_t first_difference(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ia == a.end() && ib == b.end()) return std::string::npos;
  return static_cast<std::size_t>(ia - a.begin());
}

std::string_view to_string(CloseOrder o) {
  switch (o) {
    case CloseOrder::ClientFirst:
      return "client-first";
    case CloseOrder::ServerFirst:
      return "server-first";
    case CloseOrder::Simultaneous:
      return "simultaneous";
    case CloseOrder::ClientHalfClose:
      return "client-half-close";
    case CloseOrder::ServerHalfClose:
      return "server-half-close";
  }
  return "?";
}

std::string_view to_string(Api a) {
  return a == Api::Callbacks ? "callbacks" : "coroutines";
}

Scenario Scenario::from_seed(std::uint64_t seed) {
  Rng rng(seed * 0x2545f4914f6cdd1dull + 0x5eed);
  Scenario sc;
  sc.seed = seed;
  auto link = [&rng] {
    phy::LinkParams p;
    p.delay = Duration(rng.between(1'000, 50'000));
    if (rng.chance(0.6)) p.jitter = Duration(rng.between(0, p.delay.count() / 2));
    if (!rng.chance(0.15)) p.loss = rng.uniform(0, 0.20);
    if (!rng.chance(0.3)) p.reorder = rng.uniform(0, 0.30);
    p.reorder_extra = Duration(rng.between(1'000, 40'000));
    if (!rng.chance(0.4)) p.duplicate = rng.uniform(0, 0.10);
    if (rng.chance(0.4)) p.corrupt = rng.uniform(0, 0.02);
    if (rng.chance(0.2)) {  // a slow link with a short queue: bursts of tail drops
      p.rate_bps = rng.between(1, 100) * 1'000'000;
      p.queue_limit_bytes = rng.between(8, 256) * 1024;
    }
    return p;
  };
  sc.c2s = link();
  sc.s2c = rng.chance(0.5) ? sc.c2s : link();
  auto side = [&rng] {
    SideSpec s;
    switch (rng.between(0, 5)) {
      case 0:
        s.bytes = 0;
        break;
      case 1:
        s.bytes = rng.between(1, 100);
        break;
      case 2:
        s.bytes = rng.between(1, 8192);
        break;
      default:
        s.bytes = rng.between(1, 65536);
        break;
    }
    static constexpr std::size_t kChunks[] = {1, 7, 100, 536, 1460, 4000, 16384, 65536};
    s.max_write = rng.pick(kChunks);
    s.max_read = rng.pick(kChunks);
    s.half_split = rng.between(0, s.bytes);
    s.api = rng.chance(0.5) ? Api::Callbacks : Api::Coroutines;
    // A reader that starts late lets the window close: zero-window probes.
    if (rng.chance(0.25)) s.read_pause = Duration(rng.between(200'000, 8'000'000));
    static constexpr std::size_t kMtus[] = {576, 1280, 1500, 1500};
    s.mtu = rng.pick(kMtus);
    static constexpr std::size_t kBuffers[] = {2048, 8192, 32768, 65536, 262144, 262144};
    s.tcp.send_buffer = rng.pick(kBuffers);
    s.tcp.recv_buffer = rng.pick(kBuffers);
    s.tcp.window_scaling = !rng.chance(0.2);
    s.tcp.nodelay = rng.chance(0.5);
    // Up to 20 % loss each way: let the handshake survive long loss streaks.
    s.tcp.syn_retries = 12;
    s.tcp.synack_retries = 12;
    // One connection per host: small bounds make a seed that leaks
    // connections fail at once instead of growing its pools.
    s.tcp.max_connections = 8;
    s.tcp.max_request_socks = 8;
    s.tcp.max_time_wait = 8;
    return s;
  };
  sc.client = side();
  sc.server = side();
  static constexpr CloseOrder kOrders[] = {CloseOrder::ClientFirst, CloseOrder::ServerFirst,
                                           CloseOrder::Simultaneous, CloseOrder::ClientHalfClose,
                                           CloseOrder::ServerHalfClose};
  sc.order = rng.pick(kOrders);
  sc.server_closes_first_in_skew = rng.chance(0.5);
  const phy::LinkParams& first = sc.server_closes_first_in_skew ? sc.s2c : sc.c2s;
  Duration min_delay = first.delay - first.jitter;
  if (rng.chance(0.5) && min_delay > 1us)
    sc.close_skew = Duration(rng.between(0, min_delay.count() - 1));
  // Other ISNs (sequence numbers that wrap) and another ephemeral port.
  for (SideSpec* s : {&sc.client, &sc.server}) {
    s->tcp.isn_key0 = rng.next();
    s->tcp.isn_key1 = rng.next();
  }
  return sc;
}

std::string Scenario::describe() const {
  auto side = [](const SideSpec& s) {
    return fmt::format(
        "bytes={} write<={} read<={} split={} api={} mtu={} sndbuf={} rcvbuf={} wscale={} "
        "nodelay={} read_pause={}ms",
        s.bytes, s.max_write, s.max_read, s.half_split, to_string(s.api), s.mtu, s.tcp.send_buffer,
        s.tcp.recv_buffer, s.tcp.window_scaling, s.tcp.nodelay, to_ms(s.read_pause));
  };
  return fmt::format(
      "seed {}: order={} skew={}us ({} first)\n  c2s: {}\n  s2c: {}\n  client: {}\n  server: {}",
      seed, to_string(order), close_skew.count(), server_closes_first_in_skew ? "server" : "client",
      c2s.to_string(), s2c.to_string(), side(client), side(server));
}

}  // namespace synack::simtest
