#pragma once
// Runs a dhcp::DhcpClient for one socket::Stack: the client's messages go
// out on the stack's UDP port 68 (broadcast from 0.0.0.0 while the interface
// is unconfigured), leases are applied to the stack's interface with
// Interface::set_address() and set_gateway(), and the owner hears of every
// event through one callback. Built on the public socket API only (a UDP
// socket, a TimerClient, Stack::interface()), so any program that owns a
// Stack — serve, connect, the NAT gateway's outside stack — plugs it in:
//
//   iface::InterfaceConfig ic;
//   ic.address = wire::Ipv4Cidr{};            // 0.0.0.0/32: unconfigured
//   ic.mac = mac;                             // a TAP; the MAC the server sees
//   socket::Stack stack(ic);
//   apps::dhcp::DhcpAgentConfig cfg;          // cfg.client.mac defaults to the interface's
//   auto agent = apps::dhcp::DhcpAgent::start(stack, cfg,
//       [&](const dhcp::DhcpEvent& e, const apps::dhcp::DhcpAgent& a) {
//         std::printf("dhcp: %s\n", dhcp::describe(e).c_str());
//         if (a.address()) ...;               // the address now held, if any
//       });
//   // run the stack's event loop as usual: the agent is one of its timer
//   // clients and wakes it for retransmissions, T1, T2 and expiry.
//
// What happens to the interface, event by event (dhcp::DhcpEvent::Kind):
//   Leased, Changed  set_address(lease.address), set_gateway(lease.router)
//   Renewed          nothing (the same configuration)
//   Nak, Expired,    set_address(0.0.0.0/32), set_gateway(nullopt): the
//   Declined         interface is unconfigured until the next lease
//   Ignored          nothing
// The callback runs after the interface was changed and before the
// client's next message is queued (so the DISCOVER after a NAK leaves from
// 0.0.0.0), inside Stack::poll's user phase (it may use the socket API).
// TCP connections keep the address they were opened with (a changed address
// breaks them, as on any host); a NAT must drop the mappings that used the
// old address: `e.previous->address.address` on Changed, Nak and Expired.
// With `apply` false the interface is left alone and the owner applies
// leases itself in the callback (it still runs at the same point).
// The MAC is the server's key for the client: give the interface one that
// stays the same across restarts: stable_mac(device name), as serve and
// connect do.
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "dhcp/arp_probe.hpp"
#include "dhcp/dhcp_client.hpp"
#include "socket/socket_error.hpp"
#include "socket/stack.hpp"
#include "socket/udp_socket.hpp"

namespace synack::apps::dhcp {

// A locally administered MAC that depends only on `name` (02:00 followed by
// the 32-bit FNV-1a hash of the name): the same device name keeps its lease
// across restarts, different names differ.
wire::MacAddress stable_mac(std::string_view name);

struct DhcpAgentConfig {
  // The state machine's settings; a zero mac means the interface's MAC.
  synack::dhcp::DhcpClientConfig client;
  bool apply = true;  // change the interface's address and gateway
  // A lease kept from before (e.g. a previous agent on the same stack):
  // start in INIT-REBOOT and confirm it instead of discovering (RFC 2131
  // §3.2). With `apply`, the interface keeps whatever address it has until
  // the server answers.
  std::optional<synack::dhcp::DhcpLease> remembered;
  // RFC 5227 address conflict detection (RFC 2131 §4.4.1's final check) on
  // an Ethernet link: each new address is probed with ARP before the lease
  // is applied and reported; an answer makes the agent DECLINE it. The
  // owner sends the probe frames with `send_frame` and passes every frame
  // the link receives to on_frame(). Empty (a TUN): no probing.
  std::function<void(std::span<const std::uint8_t>)> send_frame;
  synack::dhcp::ArpProbeConfig probe;
};

struct DhcpAgentCounters {
  std::uint64_t send_errors = 0;  // the UDP socket refused a message
};

class DhcpAgent final : private socket::TimerClient {
 public:
  using Callback = std::function<void(const synack::dhcp::DhcpEvent&, const DhcpAgent&)>;

  // Binds UDP port 68 on `stack` and sends the first DISCOVER at the next
  // poll. Fails (AddressInUse) when port 68 is taken. `stack` must outlive
  // the agent.
  static Result<std::unique_ptr<DhcpAgent>, socket::SocketError> start(socket::Stack& stack,
                                                                       DhcpAgentConfig cfg,
                                                                       Callback on_event);
  ~DhcpAgent() override;
  DhcpAgent(const DhcpAgent&) = delete;
  DhcpAgent& operator=(const DhcpAgent&) = delete;

  // The lease held now, if any.
  const std::optional<synack::dhcp::DhcpLease>& lease() const { return client_.lease(); }
  std::optional<wire::Ipv4Cidr> address() const {
    if (!client_.lease()) return std::nullopt;
    return client_.lease()->address;
  }
  const synack::dhcp::DhcpClient& client() const { return client_; }
  const DhcpAgentCounters& counters() const { return counters_; }
  // Sends a RELEASE for the lease held (at the next poll), unconfigures the
  // interface and stops; no callback.
  void release();
  // The link went down and came back (a cable, a Wi-Fi association, a
  // restarted kernel-side device): confirm the lease held with INIT-REBOOT
  // (RFC 2131 §3.2), or discover when none is held.
  void reboot();
  // The owner found the address of the lease held in use (e.g. an ARP
  // probe answered, RFC 5227): DECLINE it and discover again in 10 s.
  void decline(std::string_view why);
  // One frame received on the link (only with `send_frame`): looked at for
  // ARP packets that claim the address being probed. Does no I/O.
  void on_frame(Instant now, std::span<const std::uint8_t> frame);
  const synack::dhcp::ArpProbe& probe() const { return probe_; }

 private:
  DhcpAgent(socket::Stack& stack, socket::UdpSocket sock, DhcpAgentConfig cfg, Callback cb);
  Instant poll_at() const override;
  void on_timers(Instant now) override;
  void on_socket_event();
  void flush();
  // Applies an event to the interface and tells the owner.
  void deliver(const synack::dhcp::DhcpEvent& e);
  // A finished probe: the held lease is applied, or declined.
  void settle_probe(Instant now);

  socket::Stack& stack_;
  socket::UdpSocket sock_;
  DhcpAgentConfig cfg_;
  synack::dhcp::DhcpClient client_;
  Callback cb_;
  DhcpAgentCounters counters_;
  synack::dhcp::ArpProbe probe_;
  std::optional<synack::dhcp::DhcpEvent> held_;  // Leased/Changed, waiting for the probe
};

}  // namespace synack::apps::dhcp
