#include "apps/at_modem/stack_resolver.hpp"

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

std::unique_ptr<NameLookup> StackResolver::lookup(std::string_view host) {
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
