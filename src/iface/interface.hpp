#pragma once
// One IPv4 interface of a host: parses what the device received, answers ICMP,
// hands TCP segments to the TCP layer and UDP datagrams to the UDP layer (or
// answers port unreachable), passes ICMP port unreachable for our datagrams
// up, and builds IPv4 packets for what TCP and UDP send. Sans-IO: the caller
// passes the device and the current instant; poll_at() says when to call
// again.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "iface/device.hpp"
#include "iface/ethernet_link.hpp"
#include "iface/neighbor_cache.hpp"
#include "iface/packet_hook.hpp"
#include "tcp/tcp_layer.hpp"
#include "tcp/trace.hpp"
#include "udp/udp_layer.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::iface {

struct InterfaceConfig {
  std::string name = "host";  // shown in traces
  // 0.0.0.0/32 leaves the interface unconfigured (a DHCP client's start):
  // it sends from 0.0.0.0 and takes UDP for any destination until
  // set_address() (RFC 2131 §4.1).
  wire::Ipv4Cidr address{wire::Ipv4Address(10, 0, 0, 1), 24};
  std::size_t mtu = 1500;
  // The next hop for destinations outside `address`'s subnet on an Ethernet
  // device; unset, every destination is treated as on-link. A TUN has no
  // next hops: the kernel routes.
  std::optional<wire::Ipv4Address> gateway;
  std::uint8_t ttl = 64;
  tcp::TcpConfig tcp;
  // On an Ethernet device (TAP): our MAC; unset gives the locally
  // administered 02:00:a:b:c:d, where a.b.c.d is `address`.
  std::optional<wire::MacAddress> mac;
  NeighborConfig neighbors;  // the ARP cache, on an Ethernet device
  // Received datagrams each UDP socket holds before dropping (and counting).
  std::size_t udp_queue_limit = 64;
  // ICMP destination unreachable messages we send per second, host-wide
  // (Linux: net.ipv4.icmp_msgs_per_sec = 1000); more are not sent, so a
  // flood at closed ports cannot make us flood back (RFC 1812 §4.3.2.8).
  std::uint32_t icmp_unreachable_per_second = 1000;
};

struct InterfaceCounters {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t malformed = 0;       // IPv4 or TCP parse errors (checksum included)
  std::uint64_t not_for_us = 0;      // destination is another address
  std::uint64_t hook_taken = 0;      // taken by the packet hook (forwarded, NATed)
  std::uint64_t packets_queued = 0;  // whole packets queued by queue_packet()
  std::uint64_t fragments_dropped = 0;
  std::uint64_t icmp_echo_replies = 0;
  std::uint64_t icmp_unreachable_sent = 0;
  std::uint64_t icmp_unreachable_limited = 0;  // over icmp_unreachable_per_second
  std::uint64_t icmp_unreachable_received = 0;
  std::uint64_t tso_packets_out = 0;    // TCP packets the device cuts into wire segments
  std::uint64_t trusted_checksums = 0;  // received segments whose checksum the device vouched for
};

class Interface final : private tcp::SegmentOutput, private udp::DatagramOutput {
 public:
  static constexpr int kMaxFramesPerPoll = 1024;

  explicit Interface(const InterfaceConfig& cfg);
  Interface(const Interface&) = delete;
  Interface& operator=(const Interface&) = delete;

  // Reads every frame the device has and runs due timers. On an Ethernet
  // device (caps().medium), frames are unwrapped and ARP is answered first.
  void ingress(Instant now, Device& dev);
  // Sends everything queued (TCP output and ICMP replies) to the device.
  void egress(Instant now, Device& dev);
  void poll(Instant now, Device& dev) {
    ingress(now, dev);
    egress(now, dev);
  }
  // The earliest instant at which poll() has work: now if packets are
  // queued, else the next TCP (or ARP) timer; kNever when idle.
  Instant poll_at() const;

  void set_time(Instant now) {
    now_ = now;
    tcp_.set_time(now);
  }
  // The clock went backwards (a test or the fuzz harness rewinding it; a
  // real clock never does): per-second budgets and remembered instants
  // start afresh, rather than being compared with instants now ahead.
  void clock_rewound() {
    unreachable_second_ = -1;
    unreachable_budget_ = 0;
    tcp_.clock_rewound();
  }
  tcp::TcpLayer& tcp() { return tcp_; }
  const tcp::TcpLayer& tcp() const { return tcp_; }
  udp::UdpLayer& udp() { return udp_; }
  const udp::UdpLayer& udp() const { return udp_; }
  wire::Ipv4Address address() const { return cfg_.address.address; }
  const InterfaceConfig& config() const { return cfg_; }
  const InterfaceCounters& counters() const { return counters_; }
  // Our MAC on an Ethernet device (config().mac or its default).
  wire::MacAddress mac() const;
  // The Ethernet/ARP state: null until an Ethernet device was polled.
  const EthernetLink* ethernet() const { return eth_.get(); }
  void set_trace(tcp::Trace* trace) {
    trace_ = trace;
    tcp_.set_trace(trace);
  }
  // Processes one IPv4 packet as if the device had delivered it.
  void receive_packet(Instant now, std::span<const std::uint8_t> packet);

  // The forwarding hook (null: none). It sees every received packet first.
  void set_packet_hook(PacketHook* hook) { hook_ = hook; }
  // Room for one whole IPv4 packet of `len` bytes that the caller writes
  // (header, checksums and all): a forwarded or translated packet, or an
  // ICMP error a router makes. Sent at the next egress to its next hop.
  std::span<std::uint8_t> queue_packet(std::size_t len);
  void send_packet(std::span<const std::uint8_t> packet);
  // Changes the interface's address (a DHCP lease; 0.0.0.0/32 to drop it).
  // Connections keep the address they were opened with; UDP sockets bound by
  // the stack follow the interface.
  void set_address(wire::Ipv4Cidr address);
  void set_gateway(std::optional<wire::Ipv4Address> gateway);
  // Is `a` a broadcast for this interface (limited, or its subnet's)?
  bool is_broadcast(wire::Ipv4Address a) const {
    return a == wire::Ipv4Address::broadcast() || a == cfg_.address.broadcast();
  }

 private:
  EthernetLink& ethernet_link();
  void ingress_ethernet(Instant now, Device& dev);
  void egress_ethernet(Instant now, Device& dev);
  void send_tcp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::TcpRepr& seg) override;
  void send_udp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::UdpRepr& d) override;
  void on_udp(const wire::Ipv4Repr& ip, std::span<const std::uint8_t> packet,
              std::span<const std::uint8_t> payload);
  void on_icmp(Instant now, const wire::Ipv4Repr& ip, std::span<const std::uint8_t> payload);
  void on_icmp_unreachable(const wire::IcmpRepr& icmp);
  bool allow_unreachable();
  void send_unreachable(const wire::Ipv4Repr& ip, std::span<const std::uint8_t> packet,
                        std::uint8_t code);
  // Room for an outgoing IPv4 packet of `len` bytes, after link headroom.
  std::span<std::uint8_t> new_packet(std::size_t len);
  // Takes the device's offloads (TCP's segment size follows them).
  void use_caps(const DeviceCaps& caps);
  void record_segment(tcp::TraceKind kind, wire::Ipv4Address src, wire::Ipv4Address dst,
                      const wire::TcpRepr& seg);

  InterfaceConfig cfg_;
  tcp::TcpLayer tcp_;
  udp::UdpLayer udp_;
  tcp::Trace* trace_ = nullptr;
  PacketHook* hook_ = nullptr;
  Instant now_{};
  std::uint16_t next_ident_ = 1;
  // Packets waiting for egress, each after EthernetLink::kHeadroom bytes so
  // that a TAP frame's header is written in front without a copy.
  std::vector<std::vector<std::uint8_t>> tx_queue_;
  std::vector<TxMeta> tx_meta_;  // the offloads each queued packet uses
  std::size_t tx_count_ = 0;     // used entries of tx_queue_
  // The offloads of the device being polled (what send_tcp() may use), and
  // whether the frame being processed had its checksum vouched for.
  DeviceCaps caps_;
  bool rx_trusted_ = false;
  InterfaceCounters counters_;
  // The ICMP unreachable budget: what is left in the current second.
  std::int64_t unreachable_second_ = -1;
  std::uint32_t unreachable_budget_ = 0;
  std::unique_ptr<EthernetLink> eth_;  // made on first use of an Ethernet device
};

}  // namespace synack::iface
