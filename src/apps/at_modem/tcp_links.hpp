#pragma once
// The network side of the modem today: TCP links over synack's socket API,
// and a resolver that knows dotted quads only. UDP links and host names
// answer "unsupported" until the stack has UDP sockets and a DNS resolver;
// they plug in behind the same LinkFactory and NameResolver interfaces.
#include <memory>

#include "apps/at_modem/link.hpp"
#include "socket/stack.hpp"

namespace synack::apps::at_modem {

class TcpLinks final : public LinkFactory {
 public:
  // `cfg` is the TCP configuration every link starts from (the command
  // line's TCP options); TcpOptions adjust it per link.
  TcpLinks(socket::Stack& stack, const tcp::TcpConfig& cfg) : stack_(stack), cfg_(cfg) {}

  Result<std::unique_ptr<Link>, OpenError> open_tcp(Endpoint to, const TcpOptions& opts) override;
  Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint to, std::uint16_t local_port) override;
  Result<std::unique_ptr<LinkServer>, OpenError> listen_tcp(std::uint16_t port,
                                                            const TcpOptions& opts) override;

 private:
  tcp::TcpConfig config_for(const TcpOptions& opts) const;

  socket::Stack& stack_;
  tcp::TcpConfig cfg_;
};

// Host names that are dotted quads ("10.0.0.1"); any other name fails with
// "no DNS resolver yet".
class DottedQuadResolver final : public NameResolver {
 public:
  std::unique_ptr<NameLookup> lookup(std::string_view host) override;
};

}  // namespace synack::apps::at_modem
