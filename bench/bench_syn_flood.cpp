// SYNs handled per second by one synack stack in memory, on one core: each
// SYN is a raw IPv4 frame from a spoofed address, parsed (checksums
// included), demultiplexed to the listener and answered with a SYN-ACK that
// is emitted into bytes. Two paths:
//   synack/syn_flood/cookie  SYN cookies on: nothing is kept (RFC 4987 §3.6)
//   synack/syn_flood/queue   cookies off, room for every SYN: a RequestSock
//                            per SYN in the SynQueue (the pool is refilled,
//                            untimed, when it runs out)
// items_per_second is SYNs per CPU-second. bench/run_syn_flood.sh runs this
// beside the Linux kernel's rate over a veth pair (bench/linux_syn_flood.cpp).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

using namespace synack;

namespace {

constexpr std::uint16_t kPort = 80;
const wire::Ipv4Address kServerAddr(10, 0, 0, 2);
constexpr std::size_t kFrames = 1 << 16;  // distinct spoofed SYNs, reused in turn
constexpr std::size_t kBatch = 64;        // frames per poll, as an event loop reads them

std::vector<std::vector<std::uint8_t>> spoofed_syns() {
  std::mt19937_64 rng(42);
  std::vector<std::vector<std::uint8_t>> frames;
  frames.reserve(kFrames);
  for (std::size_t i = 0; i < kFrames; ++i) {
    std::uint64_t r = rng();
    wire::Ipv4Address src(0x0a630000u | static_cast<std::uint32_t>(r & 0xffff));  // 10.99/16
    wire::TcpRepr syn;
    syn.src_port = static_cast<std::uint16_t>(1024 + (r >> 16) % 60000);
    syn.dst_port = kPort;
    syn.seq = SeqNum(static_cast<std::uint32_t>(r >> 32));
    syn.flags = wire::tcp_flags::kSyn;
    syn.window = 64240;
    syn.options.mss = 1460;
    syn.options.window_scale = 7;
    syn.options.sack_permitted = true;
    syn.options.timestamps = wire::TcpTimestamps{static_cast<std::uint32_t>(r), 0};
    wire::Ipv4Repr ip{src, kServerAddr, static_cast<std::uint8_t>(wire::IpProtocol::Tcp), 64,
                      0,   true,        static_cast<std::uint16_t>(syn.total_len())};
    std::vector<std::uint8_t> f(ip.header_len() + syn.total_len());
    syn.emit(std::span(f).subspan(ip.header_len()), src, kServerAddr);
    ip.emit(f);
    frames.push_back(std::move(f));
  }
  return frames;
}

// Hands out the next kBatch SYNs per poll; counts (and drops) what is sent.
class SynSourceDevice final : public iface::Device {
 public:
  explicit SynSourceDevice(const std::vector<std::vector<std::uint8_t>>& frames)
      : frames_(frames) {}
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (left_ == 0) return std::nullopt;
    --left_;
    const auto& f = frames_[next_++ % frames_.size()];
    return std::span<const std::uint8_t>(f);
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    ++sent_;
    bytes_ += frame.size();
  }
  void arm(std::size_t n) { left_ = n; }
  std::uint64_t sent() const { return sent_; }

 private:
  const std::vector<std::vector<std::uint8_t>>& frames_;
  std::size_t next_ = 0;
  std::size_t left_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t bytes_ = 0;
};

struct Server {
  explicit Server(tcp::SyncookieMode mode) {
    iface::InterfaceConfig cfg;
    cfg.name = "server";
    cfg.address = wire::Ipv4Cidr{kServerAddr, 24};
    cfg.tcp.syncookies = mode;
    cfg.tcp.syn_backlog = 1 << 20;
    cfg.tcp.max_request_socks = kPoolSize;
    stack = std::make_unique<socket::Stack>(cfg);
    listener = std::move(*stack->listen(kPort));
  }
  static constexpr std::size_t kPoolSize = 1 << 18;
  std::unique_ptr<socket::Stack> stack;
  socket::TcpListener listener;
};

void run(benchmark::State& state, tcp::SyncookieMode mode) {
  static const auto frames = spoofed_syns();
  SynSourceDevice dev(frames);
  auto server = std::make_unique<Server>(mode);
  Instant now{};
  std::uint64_t syns = 0;
  std::uint64_t refills = 0;
  for (auto _ : state) {
    // The queue path keeps an entry per SYN: start afresh before the pool
    // runs out (and before entries would repeat a 4-tuple).
    if (mode == tcp::SyncookieMode::Off &&
        server->stack->tcp().request_pool().live + kBatch > kFrames) {
      state.PauseTiming();
      server = std::make_unique<Server>(mode);
      ++refills;
      state.ResumeTiming();
    }
    dev.arm(kBatch);
    server->stack->poll(now, dev);
    syns += kBatch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(syns));
  state.counters["synacks_per_syn"] = static_cast<double>(dev.sent()) / static_cast<double>(syns);
  state.counters["refills"] = static_cast<double>(refills);
  const auto& c = server->listener.counters();
  state.counters["cookies_sent"] = static_cast<double>(c.cookies_sent);
}

}  // namespace

BENCHMARK_CAPTURE(run, cookie, tcp::SyncookieMode::On)->Name("synack/syn_flood/cookie");
BENCHMARK_CAPTURE(run, queue, tcp::SyncookieMode::Off)->Name("synack/syn_flood/queue");

BENCHMARK_MAIN();
