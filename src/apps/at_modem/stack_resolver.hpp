#pragma once
// Host names for AT+CIPSTART, AT+CIPSTARTEX and AT+CIPDOMAIN, looked up with
// socket::DnsResolver (A records, retries, TTL cache) at the DNS server in
// use: the first one AT+CIPDNS=1 set, else --dns or the DHCP lease's. A dotted quad needs no
// query. A failed look-up (NXDOMAIN, no answer, timed out, server
// unreachable, no server at all) is the module's `DNS Fail`; the reason goes
// to the trace.
#include <memory>
#include <optional>

#include "apps/at_modem/link.hpp"
#include "socket/dns_resolver.hpp"

namespace synack::apps::at_modem {

class StackResolver final : public NameResolver {
 public:
  // Fails only when the UDP socket for `server` cannot be opened.
  static Result<std::unique_ptr<StackResolver>, socket::SocketError> open(
      socket::Stack& stack, std::optional<wire::Ipv4Address> server);

  std::unique_ptr<NameLookup> lookup(std::string_view host) override;
  bool use_server(std::optional<wire::Ipv4Address> server) override;
  void set_default_server(std::optional<wire::Ipv4Address> server) override;

 private:
  StackResolver(socket::Stack& stack, std::optional<wire::Ipv4Address> server)
      : stack_(stack), default_(server) {}

  socket::Stack& stack_;
  bool switch_to(std::optional<wire::Ipv4Address> want);

  std::optional<wire::Ipv4Address> default_;  // --dns, or the lease's
  std::optional<wire::Ipv4Address> chosen_;   // AT+CIPDNS=1's
  std::optional<wire::Ipv4Address> current_;
  std::unique_ptr<socket::DnsResolver> dns_;  // talks to current_
};

}  // namespace synack::apps::at_modem
