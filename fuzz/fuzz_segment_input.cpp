// The whole segment-input path: IPv4 parse -> TCP parse -> demux -> listener,
// connection or TIME-WAIT -> output, with time advancing between segments.
// The input is a sequence of records; each becomes one TCP segment with valid
// checksums (so the fuzzer gets past them) aimed at a listener or at an
// established connection, or, with the raw flag, an IPv4 packet as is.
//
// Speed: one Stack per process, reused across inputs. Each input runs in its
// own epoch: the clock jumps to k * kEpoch first, where kEpoch (2^32 minutes)
// is a multiple of every period the stack reduces time by (the 4 us ISN clock
// and the 1 ms TSval clock mod 2^32, the SYN-cookie minute counter mod 2^32),
// so the same 4-tuple gets the same ISN, TSval and cookie in every epoch: an
// input's outcome does not depend on which epoch it ran in. After the input
// the harness aborts its connections and runs the timers left to their end;
// if anything is still left the Stack is rebuilt (and warmed up at once,
// warm_up(), in the input that freed the old one). After kMaxEpochs inputs
// (Instant is 64-bit microseconds) a clean Stack goes back to epoch 1: with
// no connection, TIME-WAIT, request or timer left, what it keeps of time is
// the listener's last SYN-queue overflow and the per-second budgets of
// challenge ACKs and ICMP errors, which it forgets when its clock goes back.
// Rebuilding it instead, every 30 inputs, made the inputs after each rebuild
// grow its pools again; libFuzzer re-ran every such input (one in nine)
// under LeakSanitizer. Set SYNACK_FUZZ_CHECK_RESET=1 to also run every input on a
// fresh Stack and trap if the two runs transmit different segments (each
// instant's segments compared as a set).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "tcp/listener.hpp"
#include "tcp/tcp_layer.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

using namespace synack;

namespace {

class FuzzDevice : public iface::Device {
 public:
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (rx_head == rx_count) {
      rx_head = rx_count = 0;  // the interface is done with every slot
      return std::nullopt;
    }
    return std::span<const std::uint8_t>(rx[rx_head++]);
  }
  // A slot for the next received frame. Slots and their storage are reused
  // from input to input: the harness allocates nothing per segment.
  std::vector<std::uint8_t>& next_rx() {
    if (rx_count == rx.size()) rx.emplace_back();
    return rx[rx_count++];
  }
  void transmit(Instant now, std::span<const std::uint8_t> frame) override {
    last_tx.assign(frame.begin(), frame.end());
    // Remember the ISN of every SYN-ACK (incl. cookies) per peer port.
    if (frame.size() >= 40 && frame[9] == 6 && (frame[0] & 0x0f) == 5 && (frame[33] & 0x12) == 0x12)
      remember_synack(wire::load_be16(frame, 22), wire::load_be32(frame, 24));
    if (log) {
      // Logged as (time since the epoch, big-endian; frame). The IPv4 ident
      // (and so the header checksum) counts per interface, so it differs
      // between a reused and a fresh Stack: it is left out.
      std::vector<std::uint8_t> f(8);
      std::uint64_t t = static_cast<std::uint64_t>((now - epoch_start).count());
      for (int k = 0; k < 8; ++k)
        f[k] = static_cast<std::uint8_t>(t >> (56 - 8 * k));
      f.insert(f.end(), frame.begin(), frame.end());
      if (f.size() >= 28) f[8 + 4] = f[8 + 5] = f[8 + 10] = f[8 + 11] = 0;
      log->push_back(std::move(f));
    }
  }
  std::vector<std::vector<std::uint8_t>> rx;
  std::size_t rx_head = 0, rx_count = 0;
  std::vector<std::uint8_t> scratch;  // segment()'s TCP bytes
  std::vector<std::uint8_t> last_tx;
  std::vector<std::vector<std::uint8_t>>* log = nullptr;
  Instant epoch_start{};
  // (peer port, ISN) of the latest SYN-ACK to each port: a few per input,
  // kept flat so that clearing it keeps its storage.
  std::vector<std::pair<std::uint16_t, std::uint32_t>> synack_seq;
  void remember_synack(std::uint16_t port, std::uint32_t isn) {
    for (auto& [p, s] : synack_seq)
      if (p == port) {
        s = isn;
        return;
      }
    synack_seq.emplace_back(port, isn);
  }
  std::optional<std::uint32_t> synack_isn(std::uint16_t port) const {
    for (const auto& [p, s] : synack_seq)
      if (p == port) return s;
    return std::nullopt;
  }
};

const wire::Ipv4Address kUs(10, 0, 0, 2);
const wire::Ipv4Address kPeer(10, 0, 0, 1);

// 2^32 minutes: a multiple of 4 us * 2^32 (ISN), 1 ms * 2^32 (TSval) and
// 60 s * 2^32 (cookie counter).
constexpr Duration kEpoch = std::chrono::minutes(std::int64_t{1} << 32);
// INT64_MAX us is about 35.8 epochs; keep far from kNever.
constexpr int kMaxEpochs = 30;

void packet(std::span<const std::uint8_t> tcp_bytes, std::vector<std::uint8_t>& p) {
  wire::Ipv4Repr ip{kPeer, kUs, 6, 64, 1, true, static_cast<std::uint16_t>(tcp_bytes.size())};
  p.resize(20 + tcp_bytes.size());
  ip.emit(p);
  std::copy(tcp_bytes.begin(), tcp_bytes.end(), p.begin() + 20);
}

// Makes a segment from raw header bytes: fixes ports, data offset sanity is
// left to the parser, and the checksum is recomputed so parsing goes on. The
// acknowledgment number is relative: `ack_base` (the ISN of our last SYN-ACK
// to that port, plus one) is added, so an input's ACKs mean the same thing
// whatever ISN the stack chose.
void segment(std::span<const std::uint8_t> bytes, std::uint16_t dport, std::uint16_t sport,
             std::uint32_t ack_base, std::vector<std::uint8_t>& t, std::vector<std::uint8_t>& out) {
  t.assign(bytes.begin(), bytes.end());
  if (t.size() < 20) t.resize(20);
  wire::store_be16(t, 0, sport);
  wire::store_be16(t, 2, dport);
  wire::store_be32(t, 8, wire::load_be32(t, 8) + ack_base);
  wire::store_be16(t, 16, 0);
  wire::PseudoHeader ph{kPeer, kUs, 6, static_cast<std::uint16_t>(t.size())};
  std::uint32_t sum = wire::checksum_accumulate(wire::pseudo_header_sum(ph), t);
  wire::store_be16(t, 16, static_cast<std::uint16_t>(~wire::checksum_fold(sum)));
  packet(t, out);
}

// What the application does with the accepted connection, chosen by the
// byte of a one-byte raw record: 0 writes 4000 bytes (several full segments,
// for the recovery paths), 1 writes 100, 2 shuts down (FIN after the queued
// data), 3 closes.
void user_call(socket::TcpStream& conn, std::uint8_t what) {
  static const std::vector<std::uint8_t> bulk(4000, 'x');
  switch (what & 3) {
    case 0:
      conn.write(bulk);
      break;
    case 1:
      conn.write(std::span(bulk).first(100));
      break;
    case 2:
      conn.shutdown();
      break;
    case 3:
      conn.close();
      break;
  }
}

iface::InterfaceConfig config() {
  iface::InterfaceConfig cfg;
  cfg.address = wire::Ipv4Cidr{kUs, 24};
  cfg.tcp.max_connections = 8;
  cfg.tcp.max_request_socks = 8;
  cfg.tcp.max_time_wait = 8;
  cfg.tcp.syn_backlog = 4;
  cfg.tcp.backlog = 2;
  cfg.tcp.send_buffer = 8192;
  cfg.tcp.recv_buffer = 8192;
  return cfg;
}

// A Stack with a listener on port 80, and the epoch its next input runs in.
struct Host {
  Host() : stack(config()) {
    listener = std::move(*stack.listen(80));
    stack.poll(Instant{}, dev);
    tcp_listener = stack.tcp().find_listener(kUs, 80);
  }
  // Back to epoch 1 (see the top of the file); only when clean(). The
  // stack sees its clock go back and forgets what it kept of time
  // (Stack::poll, Interface::clock_rewound).
  void restart_epochs() {
    epoch = 0;
    stack.poll(Instant{}, dev);
  }
  // Runs every timer the last input left (TIME-WAIT, half-open entries,
  // retransmissions of closed connections) to its end, with output
  // discarded, so that far fewer inputs leave state behind.
  void settle(Instant now) {
    for (int k = 0; k < 256 && stack.poll_at() != kNever; ++k) {
      now = std::max(now, stack.poll_at());
      stack.poll(now, dev);
    }
  }
  // Nothing of the last input is left: the next one sees what a new Host
  // sees. The listener's counters may be non-zero: they are statistics, and
  // its only memory of an overflow (for cookie ACKs) is an instant, which the
  // next epoch is far past.
  bool clean() {
    return stack.tcp().connection_count() == 0 && stack.tcp().time_wait().size() == 0 &&
           tcp_listener->syn_queue_size() == 0 && tcp_listener->accept_queue_size() == 0 &&
           stack.open_handles() == 1 && stack.poll_at() == kNever;
  }
  socket::Stack stack;
  FuzzDevice dev;
  socket::TcpListener listener;
  tcp::Listener* tcp_listener = nullptr;
  int epoch = 0;
};

void run(Host& h, const std::uint8_t* data, std::size_t size) {
  socket::Stack& stack = h.stack;
  FuzzDevice& dev = h.dev;
  dev.synack_seq.clear();
  ++h.epoch;
  Instant now = Instant{} + h.epoch * kEpoch;
  dev.epoch_start = now;
  stack.poll(now, dev);

  // An established connection from 10.0.0.1:4000 with a known ISN pair.
  wire::TcpRepr syn;
  syn.src_port = 4000;
  syn.dst_port = 80;
  syn.seq = SeqNum(1000);
  syn.flags = wire::tcp_flags::kSyn;
  syn.window = 65535;
  syn.options.mss = 1460;
  syn.options.window_scale = 2;
  syn.options.sack_permitted = true;
  std::vector<std::uint8_t> b(syn.total_len());
  syn.emit(b, kPeer, kUs);
  packet(b, dev.next_rx());
  stack.poll(now, dev);
  std::uint32_t iss = wire::load_be32(dev.last_tx, 20 + 4);
  wire::TcpRepr ack = syn;
  ack.flags = wire::tcp_flags::kAck;
  ack.seq = SeqNum(1001);
  ack.ack = SeqNum(iss + 1);
  ack.options = {};
  b.assign(ack.total_len(), 0);
  ack.emit(b, kPeer, kUs);
  packet(b, dev.next_rx());
  stack.poll(now, dev);
  auto conn = h.listener.accept();
  if (conn) conn->write("response bytes");
  stack.poll(now, dev);  // they go out before the first record arrives

  // Records: [flags byte][len byte][len bytes]. flags bit 0: raw IPv4 (an
  // empty raw record instead runs the timers: up to 8 polls, each at the
  // next deadline; a one-byte one is a user call, see user_call()); bit 1: to the established
  // connection's port pair, 4000 (else to peer port 5000 + bits 2-7); bits 2-7: milliseconds x 64
  // to advance first. A TCP record's bytes are the header from offset 0 (ports and checksum are
  // overwritten, the ACK number is relative, see segment()).
  std::size_t i = 0;
  while (i + 2 <= size) {
    std::uint8_t f = data[i];
    std::size_t len = data[i + 1];
    i += 2;
    len = std::min(len, size - i);
    std::span<const std::uint8_t> body(data + i, len);
    i += len;
    now += std::chrono::milliseconds(64 * (f >> 2));
    if ((f & 1) && len == 0) {
      stack.poll(now, dev);
      for (int k = 0; k < 8 && stack.poll_at() != kNever; ++k) {
        now = std::max(now, stack.poll_at());
        stack.poll(now, dev);
      }
    } else if ((f & 1) && len == 1) {
      stack.set_time(now);
      if (conn) user_call(*conn, body[0]);
    } else if (f & 1) {
      dev.next_rx().assign(body.begin(), body.end());
    } else {
      std::uint16_t sport = (f & 2) ? 4000 : static_cast<std::uint16_t>(5000 + (f >> 2));
      auto isn = dev.synack_isn(sport);
      std::uint32_t ack_base = isn ? *isn + 1 : 0;
      segment(body, 80, sport, ack_base, dev.scratch, dev.next_rx());
    }
    stack.poll(now, dev);
    if (conn && conn->readable() > 0) {
      std::uint8_t sink[512];
      conn->read(sink);
    }
  }
  // Reset what the input left behind so the next input starts clean.
  if (conn) conn->abort();
  conn.reset();
  while (auto c = h.listener.accept())
    c->abort();
  stack.poll(now, dev);
}

std::unique_ptr<Host> host;

// One record of run()'s input: a TCP header (20 bytes, ports and checksum
// filled in by segment()) plus payload, to the established connection.
void add_segment(std::vector<std::uint8_t>& in, std::uint32_t seq, std::uint32_t rel_ack,
                 std::uint8_t flags, std::size_t payload) {
  std::vector<std::uint8_t> h(20 + payload, 'w');
  wire::store_be32(h, 4, seq);
  wire::store_be32(h, 8, rel_ack);
  h[12] = 5 << 4;
  h[13] = flags;
  wire::store_be16(h, 14, 65535);
  wire::store_be16(h, 18, 0);
  in.push_back(2);  // to port 4000, no time advance
  in.push_back(static_cast<std::uint8_t>(h.size()));
  in.insert(in.end(), h.begin(), h.end());
}

// What a new Host runs before the first real input: in-order and
// out-of-order data, a hole filled, a bulk write and its retransmissions, a
// second handshake. The pools and buffers grow here, in the same call that
// freed the old Host's, so that libFuzzer does not see the following
// inputs allocate more than they free (it then re-runs the input with
// LeakSanitizer, which cost a third of the time).
void warm_up(Host& h) {
  using namespace wire::tcp_flags;
  std::vector<std::uint8_t> in;
  add_segment(in, 1001, 14, kAck | kPsh, 200);
  add_segment(in, 1401, 14, kAck, 200);  // a hole at 1201
  add_segment(in, 1201, 14, kAck, 200);  // filled
  in.insert(in.end(), {1, 1, 0});        // the application writes 4000 bytes
  in.insert(in.end(), {1, 0});           // timers: retransmissions
  // A SYN from port 5001 (64 ms later): a second connection in the queues.
  std::vector<std::uint8_t> syn(20, 0);
  wire::store_be32(syn, 4, 7000);
  syn[12] = 5 << 4;
  syn[13] = kSyn;
  wire::store_be16(syn, 14, 65535);
  in.push_back(1 << 2);
  in.push_back(20);
  in.insert(in.end(), syn.begin(), syn.end());
  in.insert(in.end(), {1 << 2, 0, 1, 0});  // time passes, timers run
  run(h, in.data(), in.size());
  h.settle(h.stack.now());
}

// A Host for the next input, made at the end of this one, warmed up.
void replace_host() {
  host.reset();
  host = std::make_unique<Host>();
  warm_up(*host);
  if (!host->clean()) host.reset();  // made again, cold, at the next input
}

void report_difference(const std::vector<std::vector<std::uint8_t>>& reused,
                       const std::vector<std::vector<std::uint8_t>>& fresh) {
  std::fprintf(stderr, "reused Stack sent %zu frames, a fresh one %zu\n", reused.size(),
               fresh.size());
  for (std::size_t k = 0; k < std::max(reused.size(), fresh.size()); ++k) {
    for (const auto* log : {&reused, &fresh}) {
      std::fprintf(stderr, "%s %2zu:", log == &reused ? "reused" : "fresh ", k);
      if (k < log->size())
        for (std::uint8_t c : (*log)[k])
          std::fprintf(stderr, " %02x", c);
      std::fprintf(stderr, "\n");
    }
  }
}

}  // namespace

// A 16 MB quarantine instead of 256 MB: a use after free is still caught
// for several inputs' worth of frees, and allocations stop page-faulting
// through fresh memory (a third of the time went to the kernel).
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool check_reset = std::getenv("SYNACK_FUZZ_CHECK_RESET") != nullptr;
  if (!host) host = std::make_unique<Host>();
  std::vector<std::vector<std::uint8_t>> reused_log, fresh_log;
  if (check_reset) host->dev.log = &reused_log;
  run(*host, data, size);
  host->dev.log = nullptr;
  host->settle(host->stack.now());
  if (!host->clean())
    replace_host();
  else if (host->epoch >= kMaxEpochs)
    host->restart_epochs();

  if (check_reset) {
    Host fresh;
    fresh.dev.log = &fresh_log;
    run(fresh, data, size);
    // Segments sent in the same poll may leave in a different order (timers
    // due at the same instant): compare each instant's segments as a set.
    std::sort(reused_log.begin(), reused_log.end());
    std::sort(fresh_log.begin(), fresh_log.end());
    if (reused_log != fresh_log) {
      report_difference(reused_log, fresh_log);
      __builtin_trap();
    }
  }
  return 0;
}
