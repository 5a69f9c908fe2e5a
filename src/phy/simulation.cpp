#include "phy/simulation.hpp"

#include <stdexcept>

namespace synack::phy {

Simulation::Simulation(std::uint64_t seed, Instant start) : net_(seed) {
  if (start > Instant{}) net_.advance_to(start);
}

socket::Stack& Simulation::add_host(const iface::InterfaceConfig& cfg) {
  Host h;
  h.stack = std::make_unique<socket::Stack>(cfg);
  h.ports = std::make_unique<MultiPort>();
  h.stack->set_time(now());
  if (trace_) h.stack->set_trace(trace_);
  hosts_.push_back(std::move(h));
  return *hosts_.back().stack;
}

Simulation::Host& Simulation::host_of(const socket::Stack& s) {
  for (Host& h : hosts_)
    if (h.stack.get() == &s) return h;
  throw std::logic_error("Simulation: host not part of this simulation");
}

void Simulation::link(socket::Stack& a, socket::Stack& b, const LinkParams& a_to_b,
                      const LinkParams& b_to_a) {
  SimPort& pa = net_.add_port(a.name(), a.interface().config().mtu);
  SimPort& pb = net_.add_port(b.name(), b.interface().config().mtu);
  net_.connect(pa, pb, a_to_b, b_to_a);
  host_of(a).ports->add(pa, b.interface().address());
  host_of(b).ports->add(pb, a.interface().address());
}

FilteredPort& Simulation::filter(socket::Stack& host) {
  Host& h = host_of(host);
  if (!h.filter) {
    h.filter = std::make_unique<FilteredPort>(*h.ports, host.name());
    h.filter->set_trace(trace_);
    h.filter->set_pcap(pcap_);
  }
  return *h.filter;
}

void Simulation::set_trace(tcp::Trace* trace) {
  trace_ = trace;
  net_.set_trace(trace);
  for (auto& h : hosts_) {
    h.stack->set_trace(trace);
    if (h.filter) h.filter->set_trace(trace);
  }
}

void Simulation::set_pcap(PcapWriter* pcap) {
  pcap_ = pcap;
  net_.set_pcap(pcap);
  for (auto& h : hosts_)
    if (h.filter) h.filter->set_pcap(pcap);
}

bool Simulation::step(Instant limit) {
  Instant now = net_.now();
  Instant next = net_.next_delivery();
  // Each host's deadline, asked once: moving the clock does not change it.
  for (auto& h : hosts_) {
    h.poll_at = h.stack->poll_at();
    next = earliest(next, h.poll_at);
  }
  if (next > limit) {
    if (limit > now) advance_clock(limit);
    return false;
  }
  // A host with output pending reports an instant in the past: that is now.
  if (next < now) next = now;
  advance_clock(next);
  for (auto& h : hosts_) {
    if (h.poll_at <= next || h.ports->rx_pending()) h.stack->poll(next, h.device());
  }
  if (on_step_) on_step_();
  return true;
}

void Simulation::advance_clock(Instant t) {
  net_.advance_to(t);
  for (auto& h : hosts_)
    h.stack->set_time(t);
}

void Simulation::run_until(Instant t) {
  while (step(t)) {
  }
}

bool Simulation::run_until(const std::function<bool()>& done, Instant limit) {
  while (!done()) {
    if (!step(limit)) return done();
  }
  return true;
}

}  // namespace synack::phy
