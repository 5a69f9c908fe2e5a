#include "iface/interface.hpp"

#include "wire/checksum.hpp"
#include "wire/icmp.hpp"
#include "wire/icmp_quote.hpp"
#include "wire/tcp.hpp"
#include "wire/udp.hpp"

namespace synack::iface {

namespace {
udp::UdpConfig udp_config(const InterfaceConfig& cfg) {
  udp::UdpConfig u;
  // One ephemeral range for both protocols, as Linux has.
  u.ephemeral_port_first = cfg.tcp.ephemeral_port_first;
  u.ephemeral_port_last = cfg.tcp.ephemeral_port_last;
  u.port_hint_seed =
      static_cast<std::uint32_t>(cfg.tcp.isn_key0 >> 16) ^ cfg.address.address.to_u32();
  u.queue_limit = cfg.udp_queue_limit;
  return u;
}
}  // namespace

Interface::Interface(const InterfaceConfig& cfg)
    : cfg_(cfg), tcp_(cfg.tcp, cfg.name), udp_(udp_config(cfg)) {
  // The MAC is fixed now: it must not change with a DHCP lease. An
  // unconfigured interface takes its default from the ISN key instead.
  if (!cfg_.mac) {
    std::uint32_t seed = cfg.address.address.to_u32();
    if (seed == 0) seed = static_cast<std::uint32_t>(cfg.tcp.isn_key0 ^ (cfg.tcp.isn_key0 >> 32));
    cfg_.mac = wire::MacAddress{0x02,
                                0x00,
                                std::uint8_t(seed >> 24),
                                std::uint8_t(seed >> 16),
                                std::uint8_t(seed >> 8),
                                std::uint8_t(seed)};
  }
  tcp_.set_output(this);
  tcp_.set_mtu(cfg.mtu);
  udp_.set_output(this);
  udp_.set_mtu(cfg.mtu);
}

void Interface::use_caps(const DeviceCaps& caps) {
  if (caps.tso_max == caps_.tso_max && caps.tx_checksum == caps_.tx_checksum) return;
  caps_ = caps;
  // TSO without checksum offload cannot be (Linux's netdev feature rules).
  if (!caps_.tx_checksum) caps_.tso_max = 0;
  tcp_.set_segmentation_offload(std::min<std::size_t>(caps_.tso_max, 65535));
}

void Interface::ingress(Instant now, Device& dev) {
  DeviceCaps caps = dev.caps();
  if (caps.medium == Medium::Ethernet) return ingress_ethernet(now, dev);
  now_ = now;
  // A bounded batch: under a flood, timers and output still get their turn
  // (the device stays readable, so the caller polls again at once).
  for (int i = 0; i < kMaxFramesPerPoll; ++i) {
    auto frame = dev.receive(now);
    if (!frame) break;
    ++counters_.frames_in;
    rx_trusted_ = dev.rx_checksum_trusted();
    receive_packet(now, *frame);
    rx_trusted_ = false;
  }
  tcp_.on_timers(now);
}

void Interface::egress(Instant now, Device& dev) {
  DeviceCaps caps = dev.caps();
  if (caps.medium == Medium::Ethernet) return egress_ethernet(now, dev);
  now_ = now;
  use_caps(caps);
  tcp_.flush(now);
  for (std::size_t i = 0; i < tx_count_; ++i) {
    auto packet = std::span<const std::uint8_t>(tx_queue_[i]).subspan(EthernetLink::kHeadroom);
    if (tx_meta_[i].csum_start != 0) {
      dev.transmit_offloaded(now, packet, tx_meta_[i]);
    } else {
      dev.transmit(now, packet);
    }
    ++counters_.frames_out;
  }
  tx_count_ = 0;
}

Instant Interface::poll_at() const {
  if (tx_count_ > 0) return now_;
  if (eth_) return earliest(tcp_.next_deadline(), eth_->poll_at(now_));
  return tcp_.next_deadline();
}

wire::MacAddress Interface::mac() const {
  return *cfg_.mac;
}

EthernetLink& Interface::ethernet_link() {
  if (!eth_) {
    eth_ = std::make_unique<EthernetLink>(mac(), address(), cfg_.neighbors);
    eth_->set_route(cfg_.address, cfg_.gateway);
  }
  return *eth_;
}

void Interface::ingress_ethernet(Instant now, Device& dev) {
  now_ = now;
  EthernetLink& eth = ethernet_link();
  for (int i = 0; i < kMaxFramesPerPoll; ++i) {
    auto frame = dev.receive(now);
    if (!frame) break;
    ++counters_.frames_in;
    rx_trusted_ = dev.rx_checksum_trusted();
    if (auto packet = eth.receive(now, *frame)) receive_packet(now, *packet);
    rx_trusted_ = false;
  }
  tcp_.on_timers(now);
  eth.on_timers(now);
}

void Interface::egress_ethernet(Instant now, Device& dev) {
  now_ = now;
  EthernetLink& eth = ethernet_link();
  use_caps(dev.caps());
  tcp_.flush(now);
  // ARP first, then what the IP layer queued (sent now, or held for ARP).
  counters_.frames_out += eth.flush(now, dev);
  for (std::size_t i = 0; i < tx_count_; ++i)
    counters_.frames_out += eth.send_ip(now, tx_queue_[i], dev, tx_meta_[i]);
  tx_count_ = 0;
  counters_.frames_out += eth.flush(now, dev);  // requests for what was just held
}

void Interface::receive_packet(Instant now, std::span<const std::uint8_t> packet) {
  now_ = now;
  auto view = wire::Ipv4View<const std::uint8_t>::checked(packet);
  if (!view) {
    ++counters_.malformed;
    return;
  }
  if (hook_) {
    // The hook is promised a checked header (parse() checks it again later).
    if (wire::internet_checksum(view->header()) != 0) {
      ++counters_.malformed;
      return;
    }
    if (hook_->on_packet(now, *this, view->bytes().first(view->total_len())) ==
        HookVerdict::Taken) {
      ++counters_.hook_taken;
      return;
    }
  }
  auto ip = wire::Ipv4Repr::parse(*view);
  if (!ip) {
    if (ip.error() == wire::WireError::Fragmented) {
      ++counters_.fragments_dropped;
    } else {
      ++counters_.malformed;
    }
    return;
  }
  if (ip->dst != address()) {
    // RFC 1122 §3.3.6: broadcasts are taken by UDP only, and never answered
    // with ICMP errors (§3.2.2). Unconfigured, UDP to any address is taken:
    // a DHCP server may unicast the offer to the address it offers.
    bool unconfigured = address().is_unspecified();
    if ((is_broadcast(ip->dst) || unconfigured) &&
        ip->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Udp)) {
      on_udp(*ip, {}, view->payload());
      return;
    }
    ++counters_.not_for_us;
    return;
  }
  auto payload = view->payload();
  switch (static_cast<wire::IpProtocol>(ip->protocol)) {
    case wire::IpProtocol::Tcp: {
      auto tv = wire::TcpView<const std::uint8_t>::checked(payload);
      if (!tv) {
        ++counters_.malformed;
        return;
      }
      wire::PseudoHeader ph{ip->src, ip->dst, ip->protocol, ip->payload_len};
      if (rx_trusted_) ++counters_.trusted_checksums;
      auto seg = rx_trusted_ ? wire::TcpRepr::parse_trusted(*tv) : wire::TcpRepr::parse(*tv, ph);
      if (!seg) {
        ++counters_.malformed;
        return;
      }
      record_segment(tcp::TraceKind::SegmentReceived, ip->src, ip->dst, *seg);
      tcp_.on_segment(now, ip->src, ip->dst, *seg);
      return;
    }
    case wire::IpProtocol::Icmp:
      on_icmp(now, *ip, payload);
      return;
    case wire::IpProtocol::Udp:
      on_udp(*ip, view->bytes().first(view->total_len()), payload);
      return;
    default:
      send_unreachable(*ip, view->bytes().first(view->total_len()), wire::icmp_unreach::kProtocol);
      return;
  }
}

void Interface::on_icmp(Instant now, const wire::Ipv4Repr& ip,
                        std::span<const std::uint8_t> payload) {
  (void)now;
  auto icmp = wire::IcmpRepr::parse(payload);
  if (!icmp) {
    if (icmp.error() != wire::WireError::Unsupported) ++counters_.malformed;
    return;
  }
  if (icmp->type == wire::IcmpType::DestUnreachable) return on_icmp_unreachable(*icmp);
  if (icmp->type != wire::IcmpType::EchoRequest) return;
  wire::IcmpRepr reply = *icmp;
  reply.type = wire::IcmpType::EchoReply;
  reply.code = 0;
  wire::Ipv4Repr out{
      address(),     ip.src, static_cast<std::uint8_t>(wire::IpProtocol::Icmp), cfg_.ttl,
      next_ident_++, true,   static_cast<std::uint16_t>(reply.total_len())};
  auto pkt = new_packet(out.header_len() + reply.total_len());
  reply.emit(pkt.subspan(out.header_len()));
  out.emit(pkt);
  ++counters_.icmp_echo_replies;
}

void Interface::on_udp(const wire::Ipv4Repr& ip, std::span<const std::uint8_t> packet,
                       std::span<const std::uint8_t> payload) {
  auto uv = wire::UdpView<const std::uint8_t>::checked(payload);
  if (!uv) {
    ++counters_.malformed;
    return;
  }
  auto d = wire::UdpRepr::parse(*uv, {ip.src, ip.dst, ip.protocol, ip.payload_len});
  if (!d) {
    ++counters_.malformed;
    return;
  }
  // RFC 1122 §4.1.3.1: a datagram for a port nobody listens on is answered
  // with ICMP port unreachable (not when it was a broadcast: `packet` empty).
  if (!udp_.on_datagram(ip.src, ip.dst, *d) && !packet.empty())
    send_unreachable(ip, packet, wire::icmp_unreach::kPort);
}

void Interface::on_icmp_unreachable(const wire::IcmpRepr& icmp) {
  // RFC 1122 §4.1.3.3: UDP passes ICMP errors up to the application. Only
  // port unreachable is acted on; the quote must be of a datagram we sent.
  if (icmp.code != wire::icmp_unreach::kPort) return;
  auto q = wire::IcmpQuote::parse(icmp.data);
  if (!q) {
    ++counters_.malformed;
    return;
  }
  ++counters_.icmp_unreachable_received;
  if (q->protocol != static_cast<std::uint8_t>(wire::IpProtocol::Udp) || q->src != address())
    return;
  udp_.on_port_unreachable(q->src, q->src_port, q->dst, q->dst_port);
}

bool Interface::allow_unreachable() {
  std::int64_t second = to_us(now_) / 1'000'000;
  if (second != unreachable_second_) {
    unreachable_second_ = second;
    unreachable_budget_ = cfg_.icmp_unreachable_per_second;
  }
  if (unreachable_budget_ == 0) {
    ++counters_.icmp_unreachable_limited;
    return false;
  }
  --unreachable_budget_;
  return true;
}

void Interface::send_udp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::UdpRepr& d) {
  // A socket bound to 0.0.0.0 sends from the interface's current address.
  if (src.is_unspecified()) src = address();
  wire::Ipv4Repr ip{src,           dst,  static_cast<std::uint8_t>(wire::IpProtocol::Udp), cfg_.ttl,
                    next_ident_++, true, static_cast<std::uint16_t>(d.total_len())};
  auto pkt = new_packet(ip.header_len() + d.total_len());
  d.emit(pkt.subspan(ip.header_len()), src, dst);
  ip.emit(pkt);
}

void Interface::send_unreachable(const wire::Ipv4Repr& ip, std::span<const std::uint8_t> packet,
                                 std::uint8_t code) {
  if (!allow_unreachable()) return;
  // RFC 792: the offending header plus the first 8 bytes of its payload.
  std::size_t quoted = std::min<std::size_t>(packet.size(), 20 + 8);
  wire::IcmpRepr icmp;
  icmp.type = wire::IcmpType::DestUnreachable;
  icmp.code = code;
  icmp.data = packet.first(quoted);
  wire::Ipv4Repr out{
      address(),     ip.src, static_cast<std::uint8_t>(wire::IpProtocol::Icmp), cfg_.ttl,
      next_ident_++, true,   static_cast<std::uint16_t>(icmp.total_len())};
  auto pkt = new_packet(out.header_len() + icmp.total_len());
  icmp.emit(pkt.subspan(out.header_len()));
  out.emit(pkt);
  ++counters_.icmp_unreachable_sent;
}

void Interface::send_tcp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::TcpRepr& seg) {
  wire::Ipv4Repr ip{src,           dst,  static_cast<std::uint8_t>(wire::IpProtocol::Tcp), cfg_.ttl,
                    next_ident_++, true, static_cast<std::uint16_t>(seg.total_len())};
  auto pkt = new_packet(ip.header_len() + seg.total_len());
  if (caps_.tx_checksum) {
    // The device sums the segment (it reads the bytes anyway), so the stack
    // does not: only the pseudo-header goes in.
    seg.emit_partial(pkt.subspan(ip.header_len()), src, dst);
    TxMeta& m = tx_meta_[tx_count_ - 1];
    m.csum_start = static_cast<std::uint16_t>(ip.header_len());
    m.header_len = static_cast<std::uint16_t>(ip.header_len() + seg.header_len());
    if (caps_.tso_max > 0 && seg.segment_size > 0 && seg.payload.size() > seg.segment_size) {
      m.gso_size = seg.segment_size;
      ++counters_.tso_packets_out;
    }
  } else {
    seg.emit(pkt.subspan(ip.header_len()), src, dst);
  }
  ip.emit(pkt);
  record_segment(tcp::TraceKind::SegmentSent, src, dst, seg);
}

std::span<std::uint8_t> Interface::queue_packet(std::size_t len) {
  ++counters_.packets_queued;
  return new_packet(len);
}

void Interface::send_packet(std::span<const std::uint8_t> packet) {
  std::ranges::copy(packet, queue_packet(packet.size()).begin());
}

void Interface::set_address(wire::Ipv4Cidr address) {
  cfg_.address = address;
  if (eth_) {
    eth_->set_address(address.address);
    eth_->set_route(address, cfg_.gateway);
  }
}

void Interface::set_gateway(std::optional<wire::Ipv4Address> gateway) {
  cfg_.gateway = gateway;
  if (eth_) eth_->set_route(cfg_.address, gateway);
}

std::span<std::uint8_t> Interface::new_packet(std::size_t len) {
  // Buffers are reused between polls, so steady-state output allocates nothing.
  if (tx_count_ == tx_queue_.size()) {
    tx_queue_.emplace_back();
    tx_meta_.emplace_back();
  }
  tx_meta_[tx_count_] = TxMeta{};
  auto& buf = tx_queue_[tx_count_++];
  buf.resize(EthernetLink::kHeadroom + len);
  return std::span(buf).subspan(EthernetLink::kHeadroom);
}

void Interface::record_segment(tcp::TraceKind kind, wire::Ipv4Address src, wire::Ipv4Address dst,
                               const wire::TcpRepr& seg) {
  if (!trace_) return;
  tcp::TraceEvent e;
  e.time = now_;
  e.host = cfg_.name;
  e.kind = kind;
  e.segment = tcp::SegmentRecord{
      src,          dst,           seg.src_port,
      seg.dst_port, seg.seq.raw(), seg.ack.raw(),
      seg.flags,    seg.window,    static_cast<std::uint32_t>(seg.payload.size()),
      seg.options};
  trace_->record(std::move(e));
}

}  // namespace synack::iface
