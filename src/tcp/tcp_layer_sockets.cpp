// The TCP layer's side of the user API: opening connections and listeners,
// ports, notifications, and the life cycle of connection objects.
#include <algorithm>

#include "tcp/tcp_layer.hpp"

namespace synack::tcp {

Listener* TcpLayer::find_listener(wire::Ipv4Address addr, std::uint16_t port) const {
  Listener* wildcard = nullptr;
  for (auto& l : listeners_) {
    if (l->port() != port) continue;
    if (l->address() == addr) return l.get();
    if (l->address() == wire::Ipv4Address()) wildcard = l.get();
  }
  return wildcard;
}

const TcpConfig& TcpLayer::intern(const TcpConfig& cfg) {
  // Most stacks see one or two distinct configurations (the stack's, a
  // listener's): a linear scan finds them.
  for (const auto& c : configs_)
    if (*c == cfg) return *c;
  configs_.push_back(std::make_unique<TcpConfig>(cfg));
  return *configs_.back();
}

bool TcpLayer::tuple_in_use(const FourTuple& t) const {
  return flows_.count(t) > 0 || time_wait_.find(t) != nullptr;
}

Result<Connection*, OpenError> TcpLayer::connect(Instant now, wire::Ipv4Address local,
                                                 wire::Ipv4Address remote,
                                                 std::uint16_t remote_port, const TcpConfig& cfg,
                                                 std::uint16_t local_port) {
  now_ = now;
  if (remote_port == 0) return OpenError::InvalidArgument;
  FourTuple t{local, local_port, remote, remote_port};
  if (local_port != 0) {
    if (tuple_in_use(t)) return OpenError::AddressInUse;
  } else {
    std::uint32_t first = cfg.ephemeral_port_first;
    std::uint32_t range = std::uint32_t(cfg.ephemeral_port_last) - first + 1;
    bool found = false;
    for (std::uint32_t i = 0; i < range && !found; ++i) {
      t.local_port = static_cast<std::uint16_t>(first + (next_port_hint_ + i) % range);
      if (!tuple_in_use(t)) {
        found = true;
        next_port_hint_ = (next_port_hint_ + i + 1) % range;
      }
    }
    if (!found) return OpenError::NoPorts;
  }
  Connection* c = conn_pool_.allocate(static_cast<ConnectionHost&>(*this), intern(cfg), t);
  if (!c) return OpenError::NoMemory;
  flow_nodes_.insert(flows_, t, c);
  c->user_attached = true;
  c->open_active(now, isn_.generate(t, now), std::min(mss_, cfg.mss), isn_.ts_offset(t));
  return c;
}

Result<Listener*, OpenError> TcpLayer::listen(wire::Ipv4Address local, std::uint16_t port,
                                              const TcpConfig& cfg) {
  if (port == 0) return OpenError::InvalidArgument;
  for (auto& l : listeners_)
    if (l->port() == port && l->address() == local) return OpenError::AddressInUse;
  listeners_.push_back(
      std::make_unique<Listener>(static_cast<ListenerHost&>(*this), cfg, local, port, req_pool_));
  Listener* l = listeners_.back().get();
  l->user_attached = true;
  if (trace_) {
    TraceEvent e;
    e.time = now_;
    e.host = host_name_;
    e.kind = TraceKind::StateChange;
    e.local_addr = local;
    e.local_port = port;
    e.from = TcpState::Closed;
    e.to = TcpState::Listen;
    e.text = "listen";
    trace_->record(std::move(e));
  }
  return l;
}

void TcpLayer::close_listener(Instant now, Listener* l) {
  now_ = now;
  l->shutdown(now);
  std::erase(accept_ready_, l);
  std::erase_if(listeners_, [l](const std::unique_ptr<Listener>& p) { return p.get() == l; });
}

void TcpLayer::release(Connection* c) {
  c->user_attached = false;
  reap_.push_back(c);
}

void TcpLayer::take_notifications(std::vector<Connection*>& out) {
  // Swapped, not moved: the two vectors trade storage, so neither allocates
  // once both have grown to the busiest poll's size.
  out.clear();
  out.swap(notify_);
  for (Connection* c : out)
    c->notify = false;
}

void TcpLayer::take_accept_ready(std::vector<Listener*>& out) {
  out.clear();
  out.swap(accept_ready_);
}

Connection* TcpLayer::create_connection(Instant now, const FourTuple& tuple, const TcpConfig& cfg,
                                        const HandshakeResult& h) {
  Connection* c = conn_pool_.allocate(static_cast<ConnectionHost&>(*this), intern(cfg), tuple);
  if (!c) return nullptr;
  flow_nodes_.insert(flows_, tuple, c);
  c->open_established(now, h, std::min(mss_, cfg.mss));
  return c;
}

void TcpLayer::on_state_change(Connection& c, TcpState from, TcpState to, std::string_view why) {
  record_state(c.tuple(), from, to, why);
  if (to != TcpState::Closed && to != TcpState::TimeWait) return;
  auto it = flows_.find(c.tuple());
  if (it != flows_.end() && it->second == &c) flow_nodes_.erase(flows_, it);
  if (to == TcpState::TimeWait) {
    TimeWaitSock tw;
    tw.tuple = c.tuple();
    tw.snd_nxt = c.snd().nxt;
    tw.rcv_nxt = c.rcv().nxt;
    tw.window = static_cast<std::uint16_t>(
        std::min<std::uint32_t>(c.rcv().last_adv_wnd >> c.rcv().wscale, 0xffff));
    tw.expires = now_ + 2 * c.config().msl;
    tw.ts_ok = c.timestamps_enabled();
    tw.ts_recent = c.ts_recent();
    tw.ts_offset = c.ts_offset();
    // With the pool exhausted, skip TIME-WAIT (as Linux does when
    // tcp_max_tw_buckets is reached).
    if (!time_wait_.insert(tw))
      record_state(c.tuple(), TcpState::TimeWait, TcpState::Closed, "no TIME-WAIT memory");
  }
  reap_.push_back(&c);
}

void TcpLayer::notify(Connection& c) {
  if (!c.notify) {
    c.notify = true;
    notify_.push_back(&c);
  }
}

void TcpLayer::on_activity(Connection& c) {
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(&c);
  }
  if (!c.notify) {
    c.notify = true;
    notify_.push_back(&c);
  }
}

void TcpLayer::maybe_reap(Connection* c) {
  if (!c->is_closed() || c->user_attached || c->in_accept_queue || c->dirty) return;
  if (std::find(reap_.begin(), reap_.end(), c) != reap_.end()) return;
  if (c->notify) {
    std::erase(notify_, c);
    c->notify = false;
  }
  timers_.remove(c);
  conn_pool_.release(c);
}

void TcpLayer::on_request_state(Listener& l, const FourTuple& tuple, TcpState from, TcpState to,
                                std::string_view why) {
  (void)l;
  record_state(tuple, from, to, why);
}

void TcpLayer::on_listener_note(Listener& l, std::string_view text) {
  if (!trace_) return;
  TraceEvent e;
  e.time = now_;
  e.host = host_name_;
  e.kind = TraceKind::Note;
  e.local_addr = l.address();
  e.local_port = l.port();
  e.text = std::string(text);
  trace_->record(std::move(e));
}

void TcpLayer::on_accept_ready(Listener& l) {
  if (std::find(accept_ready_.begin(), accept_ready_.end(), &l) == accept_ready_.end())
    accept_ready_.push_back(&l);
}

}  // namespace synack::tcp
