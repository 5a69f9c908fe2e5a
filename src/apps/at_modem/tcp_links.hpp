#pragma once
// The network side of the modem: TCP, UDP (udp_link.hpp) and SSL
// (ssl_link.hpp) links over synack's socket API, and a resolver that knows
// dotted quads only (host names: StackResolver, stack_resolver.hpp).
#include <memory>

#include "apps/at_modem/link.hpp"
#include "apps/at_modem/ssl_link.hpp"
#include "socket/stack.hpp"

namespace synack::apps::at_modem {

class TcpLinks final : public LinkFactory {
 public:
  // `cfg` is the TCP configuration every link starts from (the command
  // line's TCP options); TcpOptions adjust it per link.
  TcpLinks(socket::Stack& stack, const tcp::TcpConfig& cfg);
  ~TcpLinks() override;

  Result<std::unique_ptr<Link>, OpenError> open_tcp(Endpoint to, const TcpOptions& opts) override;
  Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint to, std::uint16_t local_port,
                                                    UdpMode mode) override;
  Result<std::unique_ptr<LinkServer>, OpenError> listen_tcp(std::uint16_t port,
                                                            const TcpOptions& opts) override;
  Result<std::unique_ptr<Link>, OpenError> open_ssl(Endpoint to, const SslOptions& opts) override;

 private:
  tcp::TcpConfig config_for(const TcpOptions& opts) const;

  socket::Stack& stack_;
  tcp::TcpConfig cfg_;
  // Unread bytes a UDP link holds (the module's passive-mode limit).
  std::size_t udp_queue_limit_ = 5760;
  std::unique_ptr<SslContexts> tls_;
};

// A look-up whose answer is already known.
std::unique_ptr<NameLookup> ready_lookup(LookupAnswer a);

// Host names that are dotted quads ("10.0.0.1"); any other name fails (no
// DNS server was given).
class DottedQuadResolver final : public NameResolver {
 public:
  std::unique_ptr<NameLookup> lookup(std::string_view host) override;
};

}  // namespace synack::apps::at_modem
