#include "apps/at_modem/stack_resolver.hpp"

#include "apps/at_modem/tcp_links.hpp"
#include "dns/resolve_error.hpp"

namespace synack::apps::at_modem {

namespace {

// The answer is shared with the resolver's callback, so a look-up the modem
// drops (AT+RST while one is outstanding) leaves nothing dangling.
class DnsLookup final : public NameLookup {
 public:
  explicit DnsLookup(std::shared_ptr<std::optional<LookupAnswer>> a) : a_(std::move(a)) {}
  std::optional<LookupAnswer> result() override { return *a_; }

 private:
  std::shared_ptr<std::optional<LookupAnswer>> a_;
};

}  // namespace

Result<std::unique_ptr<StackResolver>, socket::SocketError> StackResolver::open(
    socket::Stack& stack, std::optional<wire::Ipv4Address> server) {
  std::unique_ptr<StackResolver> r(new StackResolver(stack, server));
  if (server) {
    auto dns = socket::DnsResolver::open(stack, *server);
    if (!dns) return dns.error();
    r->dns_ = std::move(*dns);
    r->current_ = server;
  }
  return r;
}

bool StackResolver::use_server(std::optional<wire::Ipv4Address> server) {
  if (!switch_to(server ? server : default_)) return false;
  chosen_ = server;
  return true;
}

void StackResolver::set_default_server(std::optional<wire::Ipv4Address> server) {
  default_ = server;
  if (!chosen_) switch_to(default_);
}

bool StackResolver::switch_to(std::optional<wire::Ipv4Address> want) {
  if (want == current_) return true;
  std::unique_ptr<socket::DnsResolver> next;
  if (want) {
    auto dns = socket::DnsResolver::open(stack_, *want);
    if (!dns) return false;
    next = std::move(*dns);
  }
  dns_ = std::move(next);
  current_ = want;
  return true;
}

std::unique_ptr<NameLookup> StackResolver::lookup(std::string_view host) {
  if (!dns_) {
    LookupAnswer a;
    a.addr = wire::Ipv4Address::parse(host);
    if (!a.addr)
      a.error = std::string(host) + ": no DNS server (--dns, the DHCP lease or AT+CIPDNS=1)";
    return ready_lookup(std::move(a));
  }
  auto answer = std::make_shared<std::optional<LookupAnswer>>();
  dns_->resolve_a(host, [answer](const dns::ResolveResult& r) {
    LookupAnswer a;
    if (r.ok() && !r.addrs.empty()) {
      a.addr = r.addrs.front();
    } else {
      a.error = r.name + ": " + std::string(dns::to_string(r.error));
    }
    *answer = std::move(a);
  });
  return std::make_unique<DnsLookup>(std::move(answer));
}

}  // namespace synack::apps::at_modem
