#include "demo_world.hpp"

#include <stdexcept>

namespace synack::demo {

namespace {

// splitmix64's finaliser: nearby inputs give unrelated keys.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

// ---- MultiPort ----------------------------------------------------------------

void MultiPort::add(phy::SimPort& port, wire::Ipv4Address peer) {
  routes_.push_back(Route{&port, peer});
}

iface::DeviceCaps MultiPort::caps() const {
  iface::DeviceCaps c;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    auto pc = routes_[i].port->caps();
    if (i == 0 || pc.mtu < c.mtu) c.mtu = pc.mtu;
  }
  return c;
}

std::optional<std::span<const std::uint8_t>> MultiPort::receive(Instant now) {
  // Port order, so that frames arriving at one instant are taken in the
  // order the links were made: deterministic and easy to follow.
  for (Route& r : routes_) {
    if (r.port->rx_pending() > 0) return r.port->receive(now);
  }
  return std::nullopt;
}

void MultiPort::transmit(Instant now, std::span<const std::uint8_t> frame) {
  if (routes_.size() == 1) {
    routes_.front().port->transmit(now, frame);
    return;
  }
  // The IPv4 destination is at bytes 16..19.
  if (frame.size() >= 20) {
    wire::Ipv4Address dst((std::uint32_t(frame[16]) << 24) | (std::uint32_t(frame[17]) << 16) |
                          (std::uint32_t(frame[18]) << 8) | std::uint32_t(frame[19]));
    for (Route& r : routes_) {
      if (r.peer == dst) {
        r.port->transmit(now, frame);
        return;
      }
    }
  }
  ++unroutable_;
}

bool MultiPort::rx_pending() const {
  for (const Route& r : routes_)
    if (r.port->rx_pending() > 0) return true;
  return false;
}

// ---- World ------------------------------------------------------------------------

World::World(std::uint64_t seed, std::uint64_t salt, Instant start, tcp::Trace* trace,
             phy::PcapWriter* pcap)
    : seed_(seed), salt_(salt), start_(start), net_(seed), trace_(trace), pcap_(pcap) {
  net_.advance_to(start);
  net_.set_trace(trace);
  net_.set_pcap(pcap);
}

socket::Stack& World::add_host(const std::string& name, wire::Ipv4Address address,
                               const tcp::TcpConfig& tcp) {
  iface::InterfaceConfig cfg;
  cfg.name = name;
  cfg.address = wire::Ipv4Cidr{address, 24};
  cfg.tcp = tcp;
  // Initial sequence numbers and ephemeral ports follow the seed.
  cfg.tcp.isn_key0 = mix(mix(seed_) ^ mix(salt_) ^ name_hash(name));
  cfg.tcp.isn_key1 = mix(cfg.tcp.isn_key0 + 1);
  Host h;
  h.stack = std::make_unique<socket::Stack>(cfg);
  h.ports = std::make_unique<MultiPort>();
  h.stack->set_time(now());
  h.stack->set_trace(trace_);
  hosts_.push_back(std::move(h));
  return *hosts_.back().stack;
}

World::Host& World::host_of(const socket::Stack& s) {
  for (Host& h : hosts_)
    if (h.stack.get() == &s) return h;
  throw std::logic_error("demo::World: host not part of this world");
}

void World::link(socket::Stack& a, socket::Stack& b, const phy::LinkParams& both) {
  phy::SimPort& pa = net_.add_port(a.name(), a.interface().config().mtu);
  phy::SimPort& pb = net_.add_port(b.name(), b.interface().config().mtu);
  net_.connect(pa, pb, both, both);
  host_of(a).ports->add(pa, b.interface().address());
  host_of(b).ports->add(pb, a.interface().address());
}

phy::FilteredPort& World::filter(socket::Stack& host) {
  Host& h = host_of(host);
  if (!h.filter) {
    h.filter = std::make_unique<phy::FilteredPort>(*h.ports, host.name());
    h.filter->set_trace(trace_);
    h.filter->set_pcap(pcap_);
  }
  return *h.filter;
}

bool World::step(Instant limit) {
  Instant now = net_.now();
  Instant next = net_.next_delivery();
  for (Host& h : hosts_)
    next = earliest(next, h.stack->poll_at());
  if (next > limit) {
    if (limit > now) advance_clock(limit);
    return false;
  }
  // A host with output pending reports an instant in the past: that is now.
  if (next < now) next = now;
  advance_clock(next);
  for (Host& h : hosts_) {
    if (h.ports->rx_pending() || h.stack->poll_at() <= next) h.stack->poll(next, h.device());
  }
  if (on_step_) on_step_();
  return true;
}

void World::advance_clock(Instant t) {
  net_.advance_to(t);
  for (Host& h : hosts_)
    h.stack->set_time(t);
}

void World::run_until(Instant t) {
  while (step(t)) {
  }
}

bool World::run_until(const std::function<bool()>& done, Instant limit) {
  while (!done()) {
    if (!step(limit)) return done();
  }
  return true;
}

}  // namespace synack::demo
