#pragma once
// Host names for AT+CIPSTART, AT+CIPSTARTEX and AT+CIPDOMAIN, looked up with
// socket::DnsResolver (A records, retries, TTL cache) at the --dns server.
// A dotted quad needs no query. A failed look-up (NXDOMAIN, no answer,
// timed out, server unreachable) is the module's `DNS Fail`; the resolver's
// reason goes to the trace.
#include <memory>

#include "apps/at_modem/link.hpp"
#include "socket/dns_resolver.hpp"

namespace synack::apps::at_modem {

class StackResolver final : public NameResolver {
 public:
  explicit StackResolver(std::unique_ptr<socket::DnsResolver> dns) : dns_(std::move(dns)) {}
  std::unique_ptr<NameLookup> lookup(std::string_view host) override;

 private:
  std::unique_ptr<socket::DnsResolver> dns_;
};

}  // namespace synack::apps::at_modem
