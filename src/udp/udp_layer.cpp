#include "udp/udp_layer.hpp"

#include <algorithm>

#include "wire/ipv4.hpp"

namespace synack::udp {

UdpLayer::UdpLayer(const UdpConfig& cfg) : cfg_(cfg) {
  std::uint32_t range = std::uint32_t(cfg.ephemeral_port_last) - cfg.ephemeral_port_first + 1;
  next_port_hint_ = cfg.port_hint_seed % range;
}

std::size_t UdpLayer::max_payload() const {
  std::size_t headers = wire::Ipv4Repr::kHeaderLen + wire::UdpRepr::kHeaderLen;
  return std::min(mtu_ > headers ? mtu_ - headers : 0, wire::UdpRepr::kMaxPayload);
}

namespace {
// An endpoint bound to 0.0.0.0 takes datagrams for any of the host's
// addresses and its broadcasts.
bool matches(const UdpEndpoint& e, wire::Ipv4Address dst) {
  return e.local_addr == dst || e.local_addr.is_unspecified();
}
}  // namespace

bool UdpLayer::on_datagram(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::UdpRepr& d) {
  ++counters_.datagrams_in;
  auto it = ports_.find(d.dst_port);
  if (it == ports_.end() || !matches(*it->second, dst)) {
    ++counters_.no_port;
    return false;
  }
  UdpEndpoint& e = *it->second;
  // A connected socket takes datagrams from its peer only (like connect(2)).
  if (e.peer && (e.peer->addr != src || e.peer->port != d.src_port)) {
    ++e.counters.dropped_not_peer;
    return true;
  }
  if (e.queue.size() >= e.queue_limit) {
    ++e.counters.dropped_queue_full;
    return true;
  }
  e.queue.push_back(Datagram{src, d.src_port, {d.payload.begin(), d.payload.end()}});
  ++e.counters.datagrams_in;
  notify(e);
  return true;
}

void UdpLayer::on_port_unreachable(wire::Ipv4Address local, std::uint16_t lport,
                                   wire::Ipv4Address remote, std::uint16_t rport) {
  auto it = ports_.find(lport);
  if (it == ports_.end() || !matches(*it->second, local) || !it->second->peer ||
      *it->second->peer != UdpPeer{remote, rport}) {
    ++counters_.icmp_errors_ignored;
    return;
  }
  it->second->pending_error = UdpError::PortUnreachable;
  ++counters_.icmp_errors_applied;
  notify(*it->second);
}

Result<UdpEndpoint*, UdpError> UdpLayer::bind(wire::Ipv4Address local, std::uint16_t port) {
  if (port == 0) {
    std::uint32_t first = cfg_.ephemeral_port_first;
    std::uint32_t range = std::uint32_t(cfg_.ephemeral_port_last) - first + 1;
    for (std::uint32_t i = 0; i < range; ++i) {
      auto p = static_cast<std::uint16_t>(first + (next_port_hint_ + i) % range);
      if (ports_.contains(p)) continue;
      next_port_hint_ = (next_port_hint_ + i + 1) % range;
      port = p;
      break;
    }
    if (port == 0) return UdpError::NoPorts;
  } else if (ports_.contains(port)) {
    return UdpError::AddressInUse;
  }
  auto e = std::make_unique<UdpEndpoint>();
  e->local_addr = local;
  e->local_port = port;
  e->queue_limit = cfg_.queue_limit;
  UdpEndpoint* raw = e.get();
  ports_.emplace(port, std::move(e));
  return raw;
}

void UdpLayer::unbind(UdpEndpoint* e) {
  std::erase(notify_, e);
  ports_.erase(e->local_port);
}

UdpError UdpLayer::send(UdpEndpoint& e, wire::Ipv4Address dst, std::uint16_t dport,
                        std::span<const std::uint8_t> payload) {
  if (dport == 0 || dst == wire::Ipv4Address()) return UdpError::InvalidArgument;
  // No IP fragmentation is implemented: a datagram must fit one packet.
  if (payload.size() > max_payload()) return UdpError::MessageTooLong;
  wire::UdpRepr d;
  d.src_port = e.local_port;
  d.dst_port = dport;
  d.payload = payload;
  out_->send_udp(e.local_addr, dst, d);
  ++e.counters.datagrams_out;
  ++counters_.datagrams_out;
  return UdpError::None;
}

void UdpLayer::notify(UdpEndpoint& e) {
  if (e.notify_queued) return;
  e.notify_queued = true;
  notify_.push_back(&e);
}

std::vector<UdpEndpoint*> UdpLayer::take_pending_notifications() {
  std::vector<UdpEndpoint*> out;
  out.swap(notify_);
  for (UdpEndpoint* e : out)
    e->notify_queued = false;
  return out;
}

}  // namespace synack::udp
