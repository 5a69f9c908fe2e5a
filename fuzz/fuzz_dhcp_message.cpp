// The DHCP message parser (dhcp::DhcpView / DhcpRepr) and the client state
// machine (dhcp::DhcpClient). Byte 0 holds flags, the rest is one message:
//   bit 0: the client's current xid and MAC are written into the message
//          (bytes 4-7 and 28-33), so it gets past the matching checks;
//   bit 1: the client is first brought to REQUESTING with a valid OFFER;
//   bit 2: ... and to BOUND with a valid ACK, then to RENEWING at T1;
//   bit 3: the message is delivered twice;
//   bit 4: (without bits 1, 2) the client starts in INIT-REBOOT with a
//          remembered lease instead of INIT.
// Invariants: a message that parses emits bytes that parse back to the same
// fields; the client never holds a lease with a zero address; its deadline
// never lies in the past after on_timer().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dhcp/dhcp_client.hpp"
#include "dhcp/dhcp_message.hpp"

using namespace synack;
using namespace synack::dhcp;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

const wire::MacAddress kMac(2, 0, 0, 0, 0, 9);
const wire::Ipv4Address kServer(10, 0, 0, 1);

std::vector<std::uint8_t> reply(std::uint32_t xid, DhcpMessageType t) {
  DhcpRepr r;
  r.op = DhcpOp::Reply;
  r.message_type = t;
  r.xid = xid;
  r.chaddr = kMac;
  r.yiaddr = wire::Ipv4Address(10, 0, 0, 7);
  r.server_id = kServer;
  r.lease_time = 100;
  std::vector<std::uint8_t> b(r.buffer_len());
  r.emit(b);
  return b;
}

std::uint32_t last_xid(DhcpClient& c) {
  std::uint32_t xid = 0;
  while (auto t = c.pop_transmit()) {
    auto v = DhcpView<const std::uint8_t>::checked(t->payload);
    check(v.ok());
    auto r = DhcpRepr::parse(*v);
    check(r.ok());
    xid = r->xid;
  }
  return xid;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::uint8_t flags = data[0];
  std::vector<std::uint8_t> msg(data + 1, data + size);

  // The parser alone, and emit's round trip.
  auto view = DhcpView<const std::uint8_t>::checked(msg);
  if (view) {
    auto r = DhcpRepr::parse(*view);
    if (r) {
      std::vector<std::uint8_t> out(r->buffer_len());
      r->emit(out);
      auto v2 = DhcpView<const std::uint8_t>::checked(out);
      check(v2.ok());
      auto r2 = DhcpRepr::parse(*v2);
      check(r2.ok());
      check(r2->xid == r->xid && r2->message_type == r->message_type);
      check(r2->yiaddr == r->yiaddr && r2->lease_time == r->lease_time);
      check(r2->server_id == r->server_id && r2->routers == r->routers);
      check(r2->dns_servers == r->dns_servers && r2->subnet_mask == r->subnet_mask);
    }
  }

  // The client.
  DhcpClientConfig cfg;
  cfg.mac = kMac;
  cfg.seed = 3;
  DhcpClient c(cfg);
  Instant now{};
  if ((flags & 0x16) == 0x10) {
    DhcpLease l;
    l.address = wire::Ipv4Cidr{wire::Ipv4Address(10, 0, 0, 7), 24};
    l.server = kServer;
    l.lease_time = std::chrono::seconds(100);
    l.t1 = std::chrono::seconds(50);
    l.t2 = std::chrono::seconds(87);
    c.reboot(now, l);
    check(c.state() == DhcpState::Rebooting);
  } else {
    c.start(now);
  }
  std::uint32_t xid = last_xid(c);
  if (flags & 6) {
    c.on_message(now, reply(xid, DhcpMessageType::Offer), kServer);
    xid = last_xid(c);
    check(c.state() == DhcpState::Requesting);
  }
  if (flags & 4) {
    c.on_message(now, reply(xid, DhcpMessageType::Ack), kServer);
    check(c.state() == DhcpState::Bound);
    now = c.poll_at();
    c.on_timer(now);
    xid = last_xid(c);
    check(c.state() == DhcpState::Renewing);
  }
  if ((flags & 1) && msg.size() >= 34) {
    msg[4] = std::uint8_t(xid >> 24);
    msg[5] = std::uint8_t(xid >> 16);
    msg[6] = std::uint8_t(xid >> 8);
    msg[7] = std::uint8_t(xid);
    std::memcpy(msg.data() + 28, kMac.bytes().data(), 6);
  }
  for (int i = 0; i < ((flags & 8) ? 2 : 1); ++i)
    c.on_message(now, msg, kServer);
  while (c.pop_event()) {
  }
  if (c.lease()) check(!c.lease()->address.address.is_unspecified());
  for (int i = 0; i < 4 && c.poll_at() != kNever; ++i) {
    now = c.poll_at();
    c.on_timer(now);
    check(c.poll_at() > now);
    last_xid(c);
  }
  return 0;
}
