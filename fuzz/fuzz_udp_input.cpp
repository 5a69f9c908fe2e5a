// The UDP input path: IPv4 parse -> UDP parse (checksum, length) -> demux to
// bound sockets (one connected) or ICMP port unreachable; and ICMP
// destination unreachable messages quoting datagrams (IcmpQuote) -> the
// connected socket's error. The input is a sequence of records:
//
//   byte 0: kind (low 2 bits) | flags; then a length byte and that many bytes.
//   kind 0: a UDP datagram with a valid checksum; the first 4 body bytes
//           choose source and destination port (the destination is mapped
//           onto the bound ports half the time), the rest is the payload;
//   kind 1: the same with checksum 0 ("none", RFC 768);
//   kind 2: an ICMP destination unreachable (valid checksum) whose data is
//           the body, optionally (flag 0x04) after a well-formed quote of a
//           datagram from our connected socket;
//   kind 3: the body as a raw IPv4 packet.
//
// Every packet synack sends must parse back with valid checksums; queues
// stay within their bound.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "socket/stack.hpp"
#include "socket/udp_socket.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

using namespace synack;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const wire::Ipv4Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);
constexpr std::uint16_t kServerPort = 7, kPeerPort = 53;
constexpr std::size_t kQueueLimit = 4;

class FuzzDevice : public iface::Device {
 public:
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (rx.empty()) return std::nullopt;
    current = std::move(rx.back());
    rx.pop_back();
    return std::span<const std::uint8_t>(current);
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    auto v = wire::Ipv4View<const std::uint8_t>::checked(frame);
    check(v.ok());
    auto ip = wire::Ipv4Repr::parse(*v);
    check(ip.ok());
    if (ip->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Udp)) {
      auto uv = wire::UdpView<const std::uint8_t>::checked(v->payload());
      check(uv.ok() && uv->checksum() != 0);
      check(wire::UdpRepr::parse(*uv, {ip->src, ip->dst, ip->protocol, ip->payload_len}).ok());
    } else {
      check(ip->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Icmp));
      check(wire::IcmpRepr::parse(v->payload()).ok());
    }
  }
  std::vector<std::vector<std::uint8_t>> rx;
  std::vector<std::uint8_t> current;
};

struct World {
  World() {
    iface::InterfaceConfig c;
    c.address = wire::Ipv4Cidr{kUs, 24};
    c.udp_queue_limit = kQueueLimit;
    stack = std::make_unique<socket::Stack>(c);
    server = std::move(*stack->udp_bind(kServerPort));
    client = std::move(*stack->udp_bind(0));
    client.connect(kPeer, kPeerPort);
    // The echo server answers from its callback, as an application would.
    server.on_event([this] {
      while (auto d = server.try_recv())
        server.send_to(d->addr, d->port, d->data);
    });
  }
  std::unique_ptr<socket::Stack> stack;
  socket::UdpSocket server, client;
  FuzzDevice dev;
  Instant now{};
};

std::vector<std::uint8_t> ip_packet(std::uint8_t protocol, std::span<const std::uint8_t> body,
                                    wire::Ipv4Address src, wire::Ipv4Address dst) {
  wire::Ipv4Repr ip{src, dst, protocol, 64, 1, true, static_cast<std::uint16_t>(body.size())};
  std::vector<std::uint8_t> pkt(ip.header_len() + body.size());
  std::copy(body.begin(), body.end(), pkt.begin() + static_cast<std::ptrdiff_t>(ip.header_len()));
  ip.emit(pkt);
  return pkt;
}

std::vector<std::uint8_t> udp_packet(std::uint16_t sport, std::uint16_t dport,
                                     std::span<const std::uint8_t> payload, bool no_checksum,
                                     wire::Ipv4Address src, wire::Ipv4Address dst) {
  wire::UdpRepr d;
  d.src_port = sport;
  d.dst_port = dport;
  d.payload = payload;
  std::vector<std::uint8_t> body(d.total_len());
  d.emit(body, src, dst);
  if (no_checksum) body[6] = body[7] = 0;
  return ip_packet(static_cast<std::uint8_t>(wire::IpProtocol::Udp), body, src, dst);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  std::span<const std::uint8_t> in(data, size);
  while (in.size() >= 2) {
    std::uint8_t head = in[0];
    std::size_t len = std::min<std::size_t>(in[1], in.size() - 2);
    std::span<const std::uint8_t> body = in.subspan(2, len);
    in = in.subspan(2 + len);
    std::vector<std::uint8_t> pkt;
    switch (head & 3) {
      case 0:
      case 1: {
        std::uint16_t sport = body.size() >= 2 ? wire::load_be16(body, 0) : kPeerPort;
        std::uint16_t dport = body.size() >= 4 ? wire::load_be16(body, 2) : kServerPort;
        if (head & 0x04) dport = (head & 0x08) ? w.client.local_port() : kServerPort;
        if (head & 0x10) sport = kPeerPort;
        auto payload = body.size() > 4 ? body.subspan(4) : body.subspan(0, 0);
        pkt = udp_packet(sport, dport, payload, (head & 3) == 1, kPeer, kUs);
        break;
      }
      case 2: {
        std::vector<std::uint8_t> quote;
        if (head & 0x04) {
          auto sent = udp_packet(w.client.local_port(), kPeerPort, {}, false, kUs, kPeer);
          quote.assign(sent.begin(), sent.begin() + 28);
        }
        quote.insert(quote.end(), body.begin(), body.end());
        wire::IcmpRepr icmp;
        icmp.type = wire::IcmpType::DestUnreachable;
        icmp.code = (head >> 4) & 0x0f;
        icmp.data = quote;
        std::vector<std::uint8_t> msg(icmp.total_len());
        icmp.emit(msg);
        pkt = ip_packet(static_cast<std::uint8_t>(wire::IpProtocol::Icmp), msg, kPeer, kUs);
        break;
      }
      case 3:
        pkt.assign(body.begin(), body.end());
        break;
    }
    w.dev.rx.push_back(std::move(pkt));
    w.now += std::chrono::milliseconds(head >> 5);
    w.stack->poll(w.now, w.dev);
    check(w.client.queued() <= kQueueLimit && w.server.queued() <= kQueueLimit);
  }
  // Leave nothing for the next input: empty the client's queue and error.
  while (true) {
    auto d = w.client.try_recv();
    if (!d && d.error() == socket::SocketError::WouldBlock) break;
  }
  return 0;
}
