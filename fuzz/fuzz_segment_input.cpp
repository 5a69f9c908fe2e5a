// The whole segment-input path: IPv4 parse -> TCP parse -> demux -> listener,
// connection or TIME-WAIT -> output, with time advancing between segments.
// The input is a sequence of records; each becomes one TCP segment with valid
// checksums (so the fuzzer gets past them) aimed at a listener or at an
// established connection, or, with the raw flag, an IPv4 packet as is.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

using namespace synack;

namespace {

class FuzzDevice : public iface::Device {
 public:
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (rx.empty()) return std::nullopt;
    current = std::move(rx.front());
    rx.pop_front();
    return std::span<const std::uint8_t>(current);
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    last_tx.assign(frame.begin(), frame.end());
  }
  std::deque<std::vector<std::uint8_t>> rx;
  std::vector<std::uint8_t> current;
  std::vector<std::uint8_t> last_tx;
};

const wire::Ipv4Address kUs(10, 0, 0, 2);
const wire::Ipv4Address kPeer(10, 0, 0, 1);

std::vector<std::uint8_t> packet(std::span<const std::uint8_t> tcp_bytes) {
  wire::Ipv4Repr ip{kPeer, kUs, 6, 64, 1, true, static_cast<std::uint16_t>(tcp_bytes.size())};
  std::vector<std::uint8_t> p(20 + tcp_bytes.size());
  ip.emit(p);
  std::copy(tcp_bytes.begin(), tcp_bytes.end(), p.begin() + 20);
  return p;
}

// Makes a segment from raw header bytes: fixes ports, data offset sanity is
// left to the parser, and the checksum is recomputed so parsing goes on.
std::vector<std::uint8_t> segment(std::span<const std::uint8_t> bytes, std::uint16_t dport,
                                  std::uint16_t sport) {
  std::vector<std::uint8_t> t(bytes.begin(), bytes.end());
  if (t.size() < 20) t.resize(20);
  wire::store_be16(t, 0, sport);
  wire::store_be16(t, 2, dport);
  wire::store_be16(t, 16, 0);
  wire::PseudoHeader ph{kPeer, kUs, 6, static_cast<std::uint16_t>(t.size())};
  std::uint32_t sum = wire::checksum_accumulate(wire::pseudo_header_sum(ph), t);
  wire::store_be16(t, 16, static_cast<std::uint16_t>(~wire::checksum_fold(sum)));
  return packet(t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  iface::InterfaceConfig cfg;
  cfg.address = wire::Ipv4Cidr{kUs, 24};
  cfg.tcp.max_connections = 8;
  cfg.tcp.max_request_socks = 8;
  cfg.tcp.max_time_wait = 8;
  cfg.tcp.syn_backlog = 4;
  cfg.tcp.backlog = 2;
  cfg.tcp.send_buffer = 8192;
  cfg.tcp.recv_buffer = 8192;
  socket::Stack stack(cfg);
  FuzzDevice dev;
  auto listener = stack.listen(80);
  Instant now{};
  stack.poll(now, dev);

  // An established connection from 10.0.0.1:4000 with a known ISN pair.
  wire::TcpRepr syn;
  syn.src_port = 4000;
  syn.dst_port = 80;
  syn.seq = SeqNum(1000);
  syn.flags = wire::tcp_flags::kSyn;
  syn.window = 65535;
  syn.options.mss = 1460;
  std::vector<std::uint8_t> b(syn.total_len());
  syn.emit(b, kPeer, kUs);
  dev.rx.push_back(packet(b));
  stack.poll(now, dev);
  std::uint32_t iss = wire::load_be32(dev.last_tx, 20 + 4);
  wire::TcpRepr ack = syn;
  ack.flags = wire::tcp_flags::kAck;
  ack.seq = SeqNum(1001);
  ack.ack = SeqNum(iss + 1);
  ack.options = {};
  b.assign(ack.total_len(), 0);
  ack.emit(b, kPeer, kUs);
  dev.rx.push_back(packet(b));
  stack.poll(now, dev);
  auto conn = listener->accept();
  if (conn) conn->write("response bytes");

  // Records: [flags byte][len byte][len bytes]. flags bit 0: raw IPv4;
  // bit 1: to the established connection's port pair (else a new peer port);
  // bits 2-7: milliseconds x 64 to advance first.
  std::size_t i = 0;
  while (i + 2 <= size) {
    std::uint8_t f = data[i];
    std::size_t len = data[i + 1];
    i += 2;
    len = std::min(len, size - i);
    std::span<const std::uint8_t> body(data + i, len);
    i += len;
    now += std::chrono::milliseconds(64 * (f >> 2));
    if (f & 1) {
      dev.rx.emplace_back(body.begin(), body.end());
    } else {
      std::uint16_t sport = (f & 2) ? 4000 : static_cast<std::uint16_t>(5000 + (f >> 2));
      dev.rx.push_back(segment(body, 80, sport));
    }
    stack.poll(now, dev);
    if (conn && conn->readable() > 0) {
      std::uint8_t sink[512];
      conn->read(sink);
    }
  }
  // Let every timer run out so teardown paths run too.
  for (int k = 0; k < 50 && stack.poll_at() != kNever; ++k) {
    now = std::max(now, stack.poll_at());
    stack.poll(now, dev);
  }
  return 0;
}
