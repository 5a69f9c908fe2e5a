#include "apps/dhcp_client/dhcp_agent.hpp"

namespace synack::apps::dhcp {

namespace sd = synack::dhcp;

namespace {
sd::DhcpClientConfig with_mac(sd::DhcpClientConfig c, const socket::Stack& stack) {
  if (c.mac.is_zero()) c.mac = stack.interface().mac();
  return c;
}
}  // namespace

wire::MacAddress stable_mac(std::string_view name) {
  std::uint32_t h = 2166136261u;
  for (char c : name)
    h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return wire::MacAddress(0x02, 0x00, std::uint8_t(h >> 24), std::uint8_t(h >> 16),
                          std::uint8_t(h >> 8), std::uint8_t(h));
}

Result<std::unique_ptr<DhcpAgent>, socket::SocketError> DhcpAgent::start(socket::Stack& stack,
                                                                         DhcpAgentConfig cfg,
                                                                         Callback on_event) {
  auto sock = stack.udp_bind(sd::kClientPort);
  if (!sock) return sock.error();
  std::unique_ptr<DhcpAgent> a(
      new DhcpAgent(stack, std::move(*sock), std::move(cfg), std::move(on_event)));
  if (a->cfg_.remembered)
    a->client_.reboot(stack.now(), *a->cfg_.remembered);  // RFC 2131 §3.2
  else
    a->client_.start(stack.now());
  a->flush();
  return a;
}

DhcpAgent::DhcpAgent(socket::Stack& stack, socket::UdpSocket sock, DhcpAgentConfig cfg, Callback cb)
    : stack_(stack),
      sock_(std::move(sock)),
      cfg_(std::move(cfg)),
      client_(with_mac(cfg_.client, stack)),
      cb_(std::move(cb)),
      probe_(client_.config().mac, cfg_.client.seed ^ 0x5227, cfg_.probe) {
  sock_.on_event([this] { on_socket_event(); });
  stack_.add_timer_client(this);
}

DhcpAgent::~DhcpAgent() {
  stack_.remove_timer_client(this);
}

Instant DhcpAgent::poll_at() const {
  // A probe that ended on a received frame is settled at the next poll.
  if (held_ && probe_.result() != sd::ArpProbe::Result::Pending) return Instant{};
  return std::min(client_.poll_at(), probe_.poll_at());
}

void DhcpAgent::on_timers(Instant now) {
  client_.on_timer(now);
  probe_.on_timer(now);
  settle_probe(now);
  flush();
}

void DhcpAgent::on_frame(Instant now, std::span<const std::uint8_t> frame) {
  probe_.on_frame(now, frame);
}

void DhcpAgent::settle_probe(Instant now) {
  if (!held_) return;
  switch (probe_.result()) {
    case sd::ArpProbe::Result::Free: {
      sd::DhcpEvent e = std::move(*held_);
      held_.reset();
      probe_.cancel();
      deliver(e);
      break;
    }
    case sd::ArpProbe::Result::Conflict: {
      held_.reset();
      std::string who = probe_.conflict_mac().to_string();
      probe_.cancel();
      // RFC 2131 §4.4.1 / RFC 5227 §2.1.1: the address is in use.
      client_.decline(now, "in use by " + who);
      break;
    }
    case sd::ArpProbe::Result::Idle:
    case sd::ArpProbe::Result::Pending:
      break;
  }
}

void DhcpAgent::on_socket_event() {
  for (;;) {
    auto d = sock_.try_recv();
    if (!d) {
      if (d.error() == socket::SocketError::WouldBlock) break;
      continue;  // an ICMP error reported once: nothing to do for DHCP
    }
    client_.on_message(stack_.now(), d->data, d->addr);
  }
  flush();
}

void DhcpAgent::flush() {
  // Events first: a NAK or an expiry must unconfigure the interface before
  // the DISCOVER that follows is queued, or it would leave from the address
  // just given up (the UDP layer takes the source address at send time).
  while (auto e = client_.pop_event()) {
    if (held_) {
      // A renewal of the lease being probed waits with it; a malformed
      // message is only logged; anything else (a NAK, the end, a new
      // lease) supersedes the lease the probe holds.
      if (e->kind == sd::DhcpEvent::Kind::Renewed) continue;
      if (e->kind != sd::DhcpEvent::Kind::Ignored) {
        held_.reset();
        probe_.cancel();
      }
    }
    bool fresh =
        (e->kind == sd::DhcpEvent::Kind::Leased || e->kind == sd::DhcpEvent::Kind::Changed) &&
        e->lease->address.address != stack_.interface().address();
    if (cfg_.send_frame && fresh) {
      // RFC 5227 §2.1: probe before the address is used.
      held_ = std::move(*e);
      probe_.start(stack_.now(), held_->lease->address.address);
      continue;
    }
    deliver(*e);
  }
  while (auto f = probe_.pop_frame())
    cfg_.send_frame(*f);
  while (auto t = client_.pop_transmit()) {
    if (sock_.send_to(t->dst, sd::kServerPort, t->payload) != socket::SocketError::None)
      ++counters_.send_errors;
  }
}

void DhcpAgent::deliver(const sd::DhcpEvent& e) {
  if (cfg_.apply) {
    iface::Interface& ifc = stack_.interface();
    switch (e.kind) {
      case sd::DhcpEvent::Kind::Leased:
      case sd::DhcpEvent::Kind::Changed:
        ifc.set_address(e.lease->address);
        ifc.set_gateway(e.lease->router);
        break;
      case sd::DhcpEvent::Kind::Nak:
      case sd::DhcpEvent::Kind::Expired:
      case sd::DhcpEvent::Kind::Declined:
        ifc.set_address(wire::Ipv4Cidr{wire::Ipv4Address(), 32});
        ifc.set_gateway(std::nullopt);
        break;
      case sd::DhcpEvent::Kind::Renewed:
      case sd::DhcpEvent::Kind::Ignored:
        break;
    }
  }
  if (cb_) cb_(e, *this);
}

void DhcpAgent::reboot() {
  if (client_.lease())
    client_.reboot(stack_.now(), *client_.lease());
  else
    client_.start(stack_.now());
  flush();
}

void DhcpAgent::decline(std::string_view why) {
  client_.decline(stack_.now(), why);
  flush();
}

void DhcpAgent::release() {
  held_.reset();
  probe_.cancel();
  client_.release(stack_.now());
  while (auto t = client_.pop_transmit())
    if (sock_.send_to(t->dst, sd::kServerPort, t->payload) != socket::SocketError::None)
      ++counters_.send_errors;
  if (cfg_.apply) {
    stack_.interface().set_address(wire::Ipv4Cidr{wire::Ipv4Address(), 32});
    stack_.interface().set_gateway(std::nullopt);
  }
}

}  // namespace synack::apps::dhcp
