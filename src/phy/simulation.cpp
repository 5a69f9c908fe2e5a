#include "phy/simulation.hpp"

#include <stdexcept>

namespace synack::phy {

socket::Stack& Simulation::add_host(const iface::InterfaceConfig& cfg) {
  SimPort& port = net_.add_port(cfg.name, cfg.mtu);
  hosts_.push_back(Host{std::make_unique<socket::Stack>(cfg), &port});
  return *hosts_.back().stack;
}

void Simulation::link(socket::Stack& a, socket::Stack& b, const LinkParams& a_to_b,
                      const LinkParams& b_to_a) {
  net_.connect(port_of(a), port_of(b), a_to_b, b_to_a);
}

SimPort& Simulation::port_of(const socket::Stack& host) {
  for (auto& h : hosts_)
    if (h.stack.get() == &host) return *h.port;
  throw std::logic_error("Simulation: host not part of this simulation");
}

void Simulation::set_trace(tcp::Trace* trace) {
  net_.set_trace(trace);
  for (auto& h : hosts_)
    h.stack->set_trace(trace);
}

bool Simulation::step(Instant limit) {
  Instant now = net_.now();
  Instant next = net_.next_delivery();
  for (auto& h : hosts_)
    next = earliest(next, h.stack->poll_at());
  if (next > limit) {
    if (limit > now) advance_clock(limit);
    return false;
  }
  // A host with output pending reports an instant in the past: that is now.
  if (next < now) next = now;
  advance_clock(next);
  for (auto& h : hosts_) {
    if (h.port->rx_pending() > 0 || h.stack->poll_at() <= next) h.stack->poll(next, *h.port);
  }
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
