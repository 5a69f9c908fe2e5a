#pragma once
// The UDP layer of one host (RFC 768): bound ports, demultiplexing of
// received datagrams to them, ICMP errors for datagrams we sent, and the
// send path. Sans-IO: datagrams leave through DatagramOutput; no clock.
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "udp/udp_endpoint.hpp"
#include "wire/udp.hpp"

namespace synack::udp {

// Where finished datagrams go (the IP layer).
class DatagramOutput {
 public:
  virtual ~DatagramOutput() = default;
  virtual void send_udp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::UdpRepr& d) = 0;
};

struct UdpConfig {
  // Local ports for bind(0): the range TCP uses (net.ipv4.ip_local_port_range).
  std::uint16_t ephemeral_port_first = 32768;
  std::uint16_t ephemeral_port_last = 60999;
  // Where the ephemeral search starts (a key, so that two hosts differ).
  std::uint32_t port_hint_seed = 0;
  std::size_t queue_limit = 64;  // datagrams per socket; more are dropped and counted
};

struct UdpLayerCounters {
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t no_port = 0;              // to a port nobody bound (ICMP port unreachable)
  std::uint64_t icmp_errors_applied = 0;  // port unreachable reported to a socket
  std::uint64_t icmp_errors_ignored = 0;  // no connected socket matched the quote
};

class UdpLayer {
 public:
  explicit UdpLayer(const UdpConfig& cfg);
  UdpLayer(const UdpLayer&) = delete;
  UdpLayer& operator=(const UdpLayer&) = delete;

  void set_output(DatagramOutput* out) { out_ = out; }
  // Largest IP packet the link carries: sends beyond it fail (no fragmentation).
  void set_mtu(std::size_t mtu) { mtu_ = mtu; }
  std::size_t max_payload() const;

  // --- driven by the interface -----------------------------------------------
  // false when no socket has the port: the caller answers with ICMP port
  // unreachable (RFC 1122 §4.1.3.1).
  bool on_datagram(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::UdpRepr& d);
  // An ICMP port unreachable quoting a datagram from local:lport to
  // remote:rport. Reported to the socket connected to exactly that peer;
  // unconnected sockets ignore it, as Linux does without IP_RECVERR.
  void on_port_unreachable(wire::Ipv4Address local, std::uint16_t lport, wire::Ipv4Address remote,
                           std::uint16_t rport);

  // --- used by the socket layer ---------------------------------------------
  // port 0 picks a free ephemeral port.
  Result<UdpEndpoint*, UdpError> bind(wire::Ipv4Address local, std::uint16_t port);
  void unbind(UdpEndpoint* e);
  UdpError send(UdpEndpoint& e, wire::Ipv4Address dst, std::uint16_t dport,
                std::span<const std::uint8_t> payload);
  // Endpoints whose readiness changed since the last call.
  std::vector<UdpEndpoint*> take_notifications() {
    if (notify_.empty()) return {};  // nearly always: no call, no swap
    return take_pending_notifications();
  }
  // Queues a notification (a callback was just installed on a socket that
  // already has something to report).
  void notify(UdpEndpoint& e);

  const UdpLayerCounters& counters() const { return counters_; }
  std::size_t bound_ports() const { return ports_.size(); }

 private:
  std::vector<UdpEndpoint*> take_pending_notifications();
  UdpConfig cfg_;
  DatagramOutput* out_ = nullptr;
  std::size_t mtu_ = 1500;
  std::uint32_t next_port_hint_;
  std::unordered_map<std::uint16_t, std::unique_ptr<UdpEndpoint>> ports_;
  std::vector<UdpEndpoint*> notify_;
  UdpLayerCounters counters_;
};

}  // namespace synack::udp
