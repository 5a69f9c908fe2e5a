#include "phy/sim_network.hpp"

#include <stdexcept>
#include <utility>

#include "phy/pcap_writer.hpp"
#include "tcp/trace.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::phy {

namespace {

// splitmix64's finaliser: spreads nearby inputs (port 0->1 vs 1->0) into
// unrelated seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t link_seed(std::uint64_t seed, std::size_t from, std::size_t to) {
  return mix(mix(seed) ^ mix((std::uint64_t(from) << 32) | std::uint64_t(to)));
}

}  // namespace

// ---- SimPort ----------------------------------------------------------------

SimPort::SimPort(SimNetwork& net, std::string name, std::size_t mtu, std::size_t index)
    : net_(&net), name_(std::move(name)), mtu_(mtu), index_(index) {}

iface::DeviceCaps SimPort::caps() const {
  return {mtu_, iface::Medium::Ip};
}

std::optional<std::span<const std::uint8_t>> SimPort::receive(Instant) {
  if (rx_queue_.empty()) return std::nullopt;
  // The last frame's buffer goes back to the link that delivered it, for
  // the next frame it carries: steady state allocates nothing.
  if (rx_link_ != nullptr && rx_current_.capacity() != 0) rx_link_->recycle(std::move(rx_current_));
  rx_current_ = rx_queue_.pop();
  ++stats_.rx_frames;
  stats_.rx_bytes += rx_current_.size();
  return std::span<const std::uint8_t>(rx_current_);
}

void SimPort::transmit(Instant now, std::span<const std::uint8_t> frame) {
  // A real NIC refuses what does not fit; catching it here finds MSS bugs.
  if (frame.size() > mtu_) {
    ++stats_.tx_oversize;
    return;
  }
  ++stats_.tx_frames;
  stats_.tx_bytes += frame.size();
  net_->on_transmit(*this, now, frame);
}

// ---- SimNetwork -------------------------------------------------------------

SimNetwork::SimNetwork(std::uint64_t seed) : seed_(seed) {}

SimNetwork::~SimNetwork() = default;

SimPort& SimNetwork::add_port(std::string name, std::size_t mtu) {
  ports_.push_back(
      std::unique_ptr<SimPort>(new SimPort(*this, std::move(name), mtu, ports_.size())));
  return *ports_.back();
}

void SimNetwork::connect(SimPort& a, SimPort& b, LinkParams a_to_b, LinkParams b_to_a) {
  if (a.net_ != this || b.net_ != this)
    throw std::logic_error("SimNetwork::connect: port belongs to another network");
  if (&a == &b) throw std::logic_error("SimNetwork::connect: a port cannot link to itself");
  if (a.connected() || b.connected())
    throw std::logic_error("SimNetwork::connect: port \"" + (a.connected() ? a : b).name() +
                           "\" is already connected");
  a.link_ = &make_link(a, b, a_to_b).injector;
  b.link_ = &make_link(b, a, b_to_a).injector;
  a.rx_link_ = b.link_;
  b.rx_link_ = a.link_;
}

SimNetwork::Link& SimNetwork::make_link(SimPort& from, SimPort& to, LinkParams params) {
  links_.push_back(
      Link{&from, &to, FaultInjector(params, link_seed(seed_, from.index(), to.index()))});
  Link& link = links_.back();
  const SimPort* sender = &from;
  link.injector.set_on_lost([this, sender](Instant t, std::span<const std::uint8_t> frame) {
    record_loss(*sender, t, frame);
  });
  return link;
}

void SimNetwork::on_transmit(SimPort& from, Instant now, std::span<const std::uint8_t> frame) {
  // Captured on the sender's side, before the link decides its fate, as a
  // tcpdump on the sending host would see it.
  if (pcap_ != nullptr) pcap_->write(now, frame);
  if (from.link_ == nullptr) {
    ++from.stats_.tx_no_link;
    return;
  }
  from.link_->submit(now, frame);
}

void SimNetwork::advance_to(Instant t) {
  if (t > now_) now_ = t;
  // Each port has exactly one incoming link, so draining link by link keeps
  // every port's arrival order.
  for (Link& link : links_) {
    while (link.injector.due(now_))
      link.to->rx_queue_.push(link.injector.pop_next());
  }
}

Instant SimNetwork::next_delivery() const {
  Instant next = kNever;
  for (const Link& link : links_)
    next = earliest(next, link.injector.next_arrival());
  return next;
}

void SimNetwork::record_loss(const SimPort& from, Instant t, std::span<const std::uint8_t> frame) {
  if (trace_ == nullptr) return;
  // Only well-formed TCP segments are worth a line in the sequence diagram;
  // anything else is skipped silently.
  auto ip_view = wire::Ipv4View<const std::uint8_t>::checked(frame);
  if (!ip_view) return;
  auto ip = wire::Ipv4Repr::parse(*ip_view);
  if (!ip || ip->protocol != static_cast<std::uint8_t>(wire::IpProtocol::Tcp)) return;
  auto tcp_view = wire::TcpView<const std::uint8_t>::checked(ip_view->payload());
  if (!tcp_view) return;
  wire::PseudoHeader ph{ip->src, ip->dst, ip->protocol, ip->payload_len};
  auto seg = wire::TcpRepr::parse(*tcp_view, ph);
  if (!seg) return;

  tcp::TraceEvent e;
  e.time = t;
  e.host = from.name();
  e.kind = tcp::TraceKind::SegmentLost;
  e.segment.src = ip->src;
  e.segment.dst = ip->dst;
  e.segment.src_port = seg->src_port;
  e.segment.dst_port = seg->dst_port;
  e.segment.seq = seg->seq.raw();
  e.segment.ack = seg->ack.raw();
  e.segment.flags = seg->flags;
  e.segment.window = seg->window;
  e.segment.payload_len = static_cast<std::uint32_t>(seg->payload.size());
  e.segment.options = seg->options;
  trace_->record(std::move(e));
}

}  // namespace synack::phy
