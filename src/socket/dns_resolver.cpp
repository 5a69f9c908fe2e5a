#include "socket/dns_resolver.hpp"

namespace synack::socket {

Result<std::unique_ptr<DnsResolver>, SocketError> DnsResolver::open(
    Stack& stack, wire::Ipv4Address server, std::uint16_t port, const dns::ResolverConfig& cfg) {
  auto sock = stack.udp_bind(0);
  if (!sock) return sock.error();
  if (SocketError e = sock->connect(server, port); e != SocketError::None) return e;
  return std::unique_ptr<DnsResolver>(new DnsResolver(stack, std::move(*sock), cfg));
}

DnsResolver::DnsResolver(Stack& stack, UdpSocket sock, const dns::ResolverConfig& cfg)
    : stack_(stack), sock_(std::move(sock)), core_(cfg) {
  sock_.on_event([this] { on_socket_event(); });
  stack_.add_timer_client(this);
}

DnsResolver::~DnsResolver() {
  stack_.remove_timer_client(this);
}

void DnsResolver::resolve_a(std::string_view name, Callback cb) {
  auto id = core_.resolve_a(stack_.now(), name);
  callbacks_.emplace(id, std::move(cb));
  send_queries();
  deliver();
}

Task<dns::ResolveResult> DnsResolver::resolve_a(std::string name) {
  // A named awaiter: with a temporary one, GCC 12's build freed the awaiter's
  // std::string with a bad pointer once the coroutine was resumed from the
  // callback (ScriptDns.CoroutineAwaitsTheAnswer).
  LookupAwaiter awaiter{this, std::move(name), std::nullopt};
  co_return co_await awaiter;
}

bool DnsResolver::LookupAwaiter::await_suspend(std::coroutine_handle<> h) {
  resolver->resolve_a(name, [this, h](const dns::ResolveResult& r) {
    result = r;
    if (suspended) h.resume();
  });
  if (result) return false;  // answered at once: do not suspend
  suspended = true;
  return true;
}

void DnsResolver::on_timers(Instant now) {
  core_.on_timers(now);
  send_queries();
  deliver();
}

void DnsResolver::on_socket_event() {
  while (true) {
    auto d = sock_.try_recv();
    if (d) {
      core_.on_response(stack_.now(), d->data);
      continue;
    }
    if (d.error() != SocketError::Refused) break;  // WouldBlock: nothing more
    core_.on_transport_error(stack_.now(), dns::ResolveError::Unreachable);
  }
  send_queries();
  deliver();
}

void DnsResolver::send_queries() {
  for (auto& q : core_.take_queries()) {
    // A send refused by a pending ICMP error fails every lookup; the query
    // itself is lost and the retry timer sends it again.
    if (sock_.send(q) == SocketError::Refused) {
      core_.on_transport_error(stack_.now(), dns::ResolveError::Unreachable);
    }
  }
}

void DnsResolver::deliver() {
  for (auto& c : core_.take_completions()) {
    auto it = callbacks_.find(c.id);
    if (it == callbacks_.end()) continue;
    Callback cb = std::move(it->second);
    callbacks_.erase(it);
    cb(c.result);  // may start new lookups or destroy nothing of ours
  }
}

}  // namespace synack::socket
