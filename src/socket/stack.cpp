#include "socket/stack.hpp"

#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::socket {

Stack::Stack(const iface::InterfaceConfig& cfg) : iface_(cfg) {}

Stack::~Stack() = default;

void Stack::poll(Instant now, iface::Device& dev) {
  now_ = now;
  iface_.ingress(now, dev);
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
    if (conns.empty() && ready.empty()) return;
    for (tcp::Connection* c : conns) {
      auto it = streams_.find(c);
      if (it == streams_.end()) continue;
      StreamState* s = it->second.get();
      if (s->on_event) {
        auto cb = s->on_event;  // the callback may replace itself
        cb();
        if (streams_.find(c) == streams_.end()) continue;
      }
      if (auto h = std::exchange(s->reader, {})) h.resume();
      if (streams_.find(c) == streams_.end()) continue;
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
  streams_.erase(c);
}

void Stack::detach(ListenerState* l) {
  tcp().close_listener(now_, l->listener);
  listeners_.erase(l->listener);
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
