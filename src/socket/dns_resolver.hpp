#pragma once
// Name lookups over the stack: a dns::StubResolver (retries, cache; see
// dns/stub_resolver.hpp) talking to one DNS server through a connected
// UdpSocket. Usable from callbacks and coroutines:
//
//   auto dns = DnsResolver::open(stack, server);          // port 53
//   (*dns)->resolve_a("example.test", [](const dns::ResolveResult& r) { ... });
//   dns::ResolveResult r = co_await (*dns)->resolve_a("example.test");
//
// A callback runs from Stack::poll, or before resolve_a() returns when the
// answer needs no query (a dotted quad, a cached name, a bad name). An ICMP
// port unreachable from the server fails every pending lookup with
// Unreachable. Destroying the resolver drops pending lookups without
// calling their callbacks (a coroutine awaiting one must not outlive it).
#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "dns/stub_resolver.hpp"
#include "socket/stack.hpp"
#include "socket/task.hpp"
#include "socket/udp_socket.hpp"

namespace synack::socket {

class DnsResolver final : private TimerClient {
 public:
  using Callback = std::function<void(const dns::ResolveResult&)>;

  // Binds an ephemeral UDP port connected to server:port.
  static Result<std::unique_ptr<DnsResolver>, SocketError> open(
      Stack& stack, wire::Ipv4Address server, std::uint16_t port = 53,
      const dns::ResolverConfig& cfg = {});
  ~DnsResolver() override;
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  void resolve_a(std::string_view name, Callback cb);
  Task<dns::ResolveResult> resolve_a(std::string name);

  const dns::StubResolver& core() const { return core_; }
  const UdpSocket& socket() const { return sock_; }

 private:
  DnsResolver(Stack& stack, UdpSocket sock, const dns::ResolverConfig& cfg);
  // TimerClient
  Instant poll_at() const override { return core_.poll_at(); }
  void on_timers(Instant now) override;
  void on_socket_event();
  void send_queries();
  void deliver();

  struct LookupAwaiter {
    DnsResolver* resolver;
    std::string name;
    std::optional<dns::ResolveResult> result;
    bool suspended = false;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h);
    dns::ResolveResult await_resume() { return std::move(*result); }
  };

  Stack& stack_;
  UdpSocket sock_;
  dns::StubResolver core_;
  std::unordered_map<dns::StubResolver::LookupId, Callback> callbacks_;
};

}  // namespace synack::socket
