#include "apps/at_modem/tcp_links.hpp"

#include <algorithm>

#include "apps/at_modem/udp_link.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "socket/udp_socket.hpp"

namespace synack::apps::at_modem {

std::string_view to_string(LinkKind k) {
  switch (k) {
    case LinkKind::Tcp:
      return "TCP";
    case LinkKind::Udp:
      return "UDP";
    case LinkKind::Ssl:
      return "SSL";
  }
  return "?";
}

std::string_view to_string(OpenError e) {
  switch (e) {
    case OpenError::Unsupported:
      return "not supported";
    case OpenError::NoPorts:
      return "no free local port";
    case OpenError::AddressInUse:
      return "address in use";
    case OpenError::NoMemory:
      return "no memory";
  }
  return "?";
}

namespace {

OpenError open_error(socket::SocketError e) {
  switch (e) {
    case socket::SocketError::AddressInUse:
      return OpenError::AddressInUse;
    case socket::SocketError::NoPorts:
      return OpenError::NoPorts;
    default:
      return OpenError::NoMemory;
  }
}

class TcpLink final : public Link {
 public:
  explicit TcpLink(socket::TcpStream s) : s_(std::move(s)) {}

  LinkKind kind() const override { return LinkKind::Tcp; }
  LinkStatus status() const override {
    if (s_.error() != socket::SocketError::None) return LinkStatus::Failed;
    if (s_.connected() || s_.state() == tcp::TcpState::CloseWait) return LinkStatus::Open;
    if (s_.closed()) return LinkStatus::Closed;
    if (s_.state() == tcp::TcpState::SynSent || s_.state() == tcp::TcpState::SynReceived)
      return LinkStatus::Connecting;
    return LinkStatus::Open;  // closing: FIN-WAIT, CLOSING, LAST-ACK
  }
  std::string failure() const override { return std::string(socket::to_string(s_.error())); }
  Endpoint remote() const override { return {s_.tuple().remote_addr, s_.tuple().remote_port}; }
  std::uint16_t local_port() const override { return s_.tuple().local_port; }
  std::size_t readable() const override { return s_.readable(); }
  std::size_t read(std::span<std::uint8_t> out) override { return s_.read(out); }
  bool at_eof() const override { return s_.at_eof(); }
  std::size_t writable() const override {
    if (s_.state() != tcp::TcpState::Established && s_.state() != tcp::TcpState::CloseWait)
      return 0;
    return s_.writable();
  }
  std::size_t write(std::span<const std::uint8_t> data) override { return s_.write(data); }
  void abort() override {
    closed_ = true;
    if (!s_.closed()) s_.abort();
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    // Unread bytes would turn the close into a RST: drop them first.
    while (s_.readable() > 0)
      s_.consume(s_.readable());
    if (!s_.closed()) s_.close();
  }

 private:
  socket::TcpStream s_;
  bool closed_ = false;
};

class TcpServer final : public LinkServer {
 public:
  explicit TcpServer(socket::TcpListener l) : l_(std::move(l)) {}
  std::unique_ptr<Link> accept() override {
    auto s = l_.accept();
    if (!s) return nullptr;
    return std::make_unique<TcpLink>(std::move(*s));
  }

 private:
  socket::TcpListener l_;
};

class ReadyLookup final : public NameLookup {
 public:
  explicit ReadyLookup(LookupAnswer a) : a_(std::move(a)) {}
  std::optional<LookupAnswer> result() override { return a_; }

 private:
  LookupAnswer a_;
};

}  // namespace

TcpLinks::TcpLinks(socket::Stack& stack, const tcp::TcpConfig& cfg)
    : stack_(stack), cfg_(cfg), tls_(std::make_unique<SslContexts>()) {}

TcpLinks::~TcpLinks() = default;

namespace {
constexpr int kSynRetries = 3;
}  // namespace

tcp::TcpConfig TcpLinks::config_for(const TcpOptions& opts) const {
  tcp::TcpConfig cfg = cfg_;
  cfg.recv_buffer = opts.receive_buffer;
  cfg.send_buffer = opts.send_buffer;
  // The module gives a connect up after about 15 s (SYN, then 1, 2, 4, 8 s),
  // not Linux's 127 s: drivers time out long before that and would take the
  // late ERROR for their next command. --syn-retries may lower it further.
  cfg.syn_retries = std::min(cfg.syn_retries, kSynRetries);
  if (opts.keepalive_s > 0) {
    cfg.keepalive = true;
    cfg.keepalive_time = std::chrono::seconds(opts.keepalive_s);
    cfg.keepalive_interval = std::chrono::seconds(opts.keepalive_s);
  }
  return cfg;
}

Result<std::unique_ptr<Link>, OpenError> TcpLinks::open_tcp(Endpoint to, const TcpOptions& opts) {
  auto s = stack_.connect(to.addr, to.port, config_for(opts));
  if (!s) return open_error(s.error());
  return std::unique_ptr<Link>(std::make_unique<TcpLink>(std::move(*s)));
}

Result<std::unique_ptr<Link>, OpenError> TcpLinks::open_udp(Endpoint to, std::uint16_t local_port,
                                                            UdpMode mode) {
  auto s = stack_.udp_bind(local_port);
  if (!s) return open_error(s.error());
  return make_udp_link(std::move(*s), to, mode, udp_queue_limit_);
}

Result<std::unique_ptr<Link>, OpenError> TcpLinks::open_ssl(Endpoint to, const SslOptions& opts) {
  std::string err;
  http::TlsClientContext* ctx = tls_->get(opts.verify, &err);
  if (!ctx) return OpenError::NoMemory;
  auto tcp = open_tcp(to, opts.tcp);
  if (!tcp) return tcp.error();
  return make_ssl_link(std::move(*tcp), *ctx, opts.host);
}

Result<std::unique_ptr<LinkServer>, OpenError> TcpLinks::listen_tcp(std::uint16_t port,
                                                                    const TcpOptions& opts) {
  auto l = stack_.listen(port, config_for(opts));
  if (!l) return open_error(l.error());
  return std::unique_ptr<LinkServer>(std::make_unique<TcpServer>(std::move(*l)));
}

std::unique_ptr<NameLookup> ready_lookup(LookupAnswer a) {
  return std::make_unique<ReadyLookup>(std::move(a));
}

std::unique_ptr<NameLookup> DottedQuadResolver::lookup(std::string_view host) {
  LookupAnswer a;
  a.addr = wire::Ipv4Address::parse(host);
  if (!a.addr) a.error = "no DNS server (--dns): only dotted-quad addresses resolve";
  return ready_lookup(std::move(a));
}

}  // namespace synack::apps::at_modem
