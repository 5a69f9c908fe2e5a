#include "socket/stack.hpp"

#include <algorithm>

#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "socket/udp_socket.hpp"

namespace synack::socket {

Stack::Stack(const iface::InterfaceConfig& cfg) : iface_(cfg) {}

Stack::~Stack() = default;

Instant Stack::poll_at() const {
  Instant t = iface_.poll_at();
  for (const TimerClient* c : timer_clients_)
    t = earliest(t, c->poll_at());
  return t;
}

void Stack::poll(Instant now, iface::Device& dev) {
  if (now < now_) iface_.clock_rewound();
  now_ = now;
  iface_.ingress(now, dev);
  // A copy: a client's timers may add or remove clients.
  for (TimerClient* c : std::vector<TimerClient*>(timer_clients_))
    if (std::find(timer_clients_.begin(), timer_clients_.end(), c) != timer_clients_.end() &&
        c->poll_at() <= now)
      c->on_timers(now);
  dispatch();
  iface_.egress(now, dev);
}

void Stack::dispatch() {
  // User code may cause more activity (a write, a close); go round until quiet,
  // with a bound so a callback that always writes cannot spin forever.
  for (int round = 0; round < 64; ++round) {
    // Borrowed from the members (so steady polls reuse their storage) and
    // given back after the round; a callback that polls re-enters with
    // empty members, never the lists being walked here.
    std::vector<tcp::Connection*> conns;
    std::vector<tcp::Listener*> ready;
    conns.swap(notified_);
    ready.swap(acceptable_);
    tcp().take_notifications(conns);
    tcp().take_accept_ready(ready);
    struct GiveBack {
      Stack* s;
      std::vector<tcp::Connection*>& c;
      std::vector<tcp::Listener*>& r;
      ~GiveBack() {
        s->notified_.swap(c);
        s->acceptable_.swap(r);
      }
    } give_back{this, conns, ready};
    auto udp_ready = iface_.udp().take_notifications();
    if (conns.empty() && ready.empty() && udp_ready.empty()) return;
    for (udp::UdpEndpoint* e : udp_ready) {
      auto it = udp_sockets_.find(e);
      if (it == udp_sockets_.end()) continue;
      UdpState* u = it->second.get();
      if (u->on_event) {
        auto cb = u->on_event;
        cb();
        if (udp_sockets_.find(e) == udp_sockets_.end()) continue;
      }
      if (auto h = std::exchange(u->reader, {})) h.resume();
    }
    for (tcp::Connection* c : conns) {
      auto it = streams_.find(c);
      if (it == streams_.end()) continue;
      StreamState* s = it->second.get();
      if (s->on_event) {
        auto cb = s->on_event;  // the callback may replace itself
        cb();
        if (streams_.find(c) == streams_.end()) continue;
      }
      // Looked up again only after user code ran (it may have closed the
      // stream): each lookup is a hash and a division.
      if (auto h = std::exchange(s->reader, {})) {
        h.resume();
        if (streams_.find(c) == streams_.end()) continue;
      }
      if (auto h = std::exchange(s->writer, {})) h.resume();
    }
    for (tcp::Listener* l : ready) {
      auto it = listeners_.find(l);
      if (it == listeners_.end()) continue;
      ListenerState* s = it->second.get();
      if (s->on_acceptable) {
        auto cb = s->on_acceptable;
        cb();
        if (listeners_.find(l) == listeners_.end()) continue;
      }
      if (auto h = std::exchange(s->waiter, {})) h.resume();
    }
  }
}

Stack::StreamState* Stack::attach(tcp::Connection* c) {
  c->user_attached = true;
  if (!spare_streams_.empty()) {
    StreamMap::node_type node = std::move(spare_streams_.back());
    spare_streams_.pop_back();
    node.key() = c;
    StreamState* s = node.mapped().get();
    s->conn = c;
    streams_.insert(std::move(node));
    return s;
  }
  auto state = std::make_unique<StreamState>();
  state->conn = c;
  StreamState* s = state.get();
  streams_.emplace(c, std::move(state));
  return s;
}

void Stack::detach(StreamState* s) {
  tcp::Connection* c = s->conn;
  if (!c->is_closed() && !c->user_closed()) c->close(now_);
  tcp().release(c);
  StreamMap::node_type node = streams_.extract(c);
  if (node && spare_streams_.size() < kSpareStreams) {
    *node.mapped() = StreamState{};  // drops the callback and what it holds
    spare_streams_.push_back(std::move(node));
  }
}

void Stack::detach(ListenerState* l) {
  tcp().close_listener(now_, l->listener);
  listeners_.erase(l->listener);
}

void Stack::detach(UdpState* u) {
  udp::UdpEndpoint* e = u->endpoint;
  iface_.udp().unbind(e);
  udp_sockets_.erase(e);
}

Result<UdpSocket, SocketError> Stack::udp_bind(std::uint16_t port) {
  // Bound to 0.0.0.0 (INADDR_ANY): the socket follows the interface's
  // address and takes broadcasts, as a Linux socket bound to INADDR_ANY does.
  auto e = iface_.udp().bind(wire::Ipv4Address(), port);
  if (!e) return from_udp_error(e.error());
  auto state = std::make_unique<UdpState>();
  state->endpoint = *e;
  UdpState* u = state.get();
  udp_sockets_.emplace(*e, std::move(state));
  return UdpSocket(this, u);
}

Result<TcpStream, SocketError> Stack::connect(wire::Ipv4Address addr, std::uint16_t port) {
  return connect(addr, port, tcp().config());
}

Result<TcpStream, SocketError> Stack::connect(wire::Ipv4Address addr, std::uint16_t port,
                                              const tcp::TcpConfig& cfg) {
  auto c = tcp().connect(now_, iface_.address(), addr, port, cfg);
  if (!c) return from_open_error(c.error());
  return TcpStream(this, attach(*c));
}

Result<TcpListener, SocketError> Stack::listen(std::uint16_t port) {
  return listen(port, tcp().config());
}

Result<TcpListener, SocketError> Stack::listen(std::uint16_t port, const tcp::TcpConfig& cfg) {
  auto l = tcp().listen(iface_.address(), port, cfg);
  if (!l) return from_open_error(l.error());
  auto state = std::make_unique<ListenerState>();
  state->listener = *l;
  ListenerState* s = state.get();
  listeners_.emplace(*l, std::move(state));
  return TcpListener(this, s);
}

}  // namespace synack::socket
