#pragma once
// The Ethernet side of an interface on a TAP-like device: unwraps received
// frames, answers and learns from ARP (RFC 826), and wraps outgoing IPv4
// packets for their neighbor's MAC, holding them while ARP resolves it.
// Sans-IO like the Interface that owns it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/time.hpp"
#include "iface/device.hpp"
#include "iface/neighbor_cache.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::iface {

struct EthernetCounters {
  std::uint64_t not_for_us = 0;    // another unicast MAC, or a multicast group
  std::uint64_t malformed = 0;     // short frames, truncated ARP
  std::uint64_t ignored = 0;       // other EtherTypes (IPv6, ...) and ARP kinds
  std::uint64_t arp_in = 0;        // IPv4-over-Ethernet ARP packets received
  std::uint64_t arp_bogus = 0;     // ARP with a group sender MAC or our own address
  std::uint64_t arp_replies = 0;   // replies sent to requests for our address
  std::uint64_t arp_requests = 0;  // requests sent (resolution and confirmation)
};

class EthernetLink {
 public:
  EthernetLink(wire::MacAddress mac, wire::Ipv4Address ip, const NeighborConfig& cfg);

  // One received frame. An IPv4 payload is returned for the IP layer; ARP is
  // handled here (replies are queued for flush()); anything else is dropped.
  std::optional<std::span<const std::uint8_t>> receive(Instant now,
                                                       std::span<const std::uint8_t> frame);
  // Sends one IPv4 packet to its next hop, or holds it and asks for the
  // neighbor's MAC. The next hop is the destination when it is on-link (in
  // the subnet, or no gateway is set), else the gateway; broadcasts (limited,
  // or the subnet's directed broadcast) go to the broadcast MAC.
  // `frame` holds the packet after kHeadroom free bytes, where the Ethernet
  // header is written in place: the packet is not copied again. Returns the
  // number of frames transmitted.
  static constexpr std::size_t kHeadroom = wire::EthernetRepr::kHeaderLen;
  // `meta` says which offloads the packet uses (csum_start is counted from
  // the IP header; the device adds its link header). A packet held for ARP
  // is completed first: it leaves later as a plain frame.
  std::size_t send_ip(Instant now, std::vector<std::uint8_t>& frame, Device& dev, TxMeta meta = {});
  // Transmits the queued frames (ARP, packets released by an answer).
  // Returns their number.
  std::size_t flush(Instant now, Device& dev);
  // Runs the neighbor cache's retransmissions (queued for flush()).
  void on_timers(Instant now);
  // `now` while frames are queued, else the neighbor cache's next deadline.
  Instant poll_at(Instant now) const;

  // Our address (0.0.0.0 while unconfigured: no ARP is answered then).
  void set_address(wire::Ipv4Address ip) { ip_ = ip; }
  // Where off-link destinations go; `subnet` with prefix 32 and no gateway
  // treats every address as on-link (the default).
  void set_route(wire::Ipv4Cidr subnet, std::optional<wire::Ipv4Address> gateway) {
    subnet_ = subnet;
    gateway_ = gateway;
  }

  wire::MacAddress mac() const { return mac_; }
  const Neighbors& neighbors() const { return neighbors_; }
  const EthernetCounters& counters() const { return counters_; }

 private:
  void on_arp(Instant now, std::span<const std::uint8_t> payload);
  void queue_request(const ArpRequest& req);
  // Fills in the TCP checksum of a packet built for checksum offload.
  static void complete_checksum(std::span<std::uint8_t> packet, const TxMeta& meta);
  bool is_broadcast(wire::Ipv4Address dst) const;
  // Builds a frame with room for `payload_len` bytes (padded to the minimum
  // frame length) in `buf`; returns the payload part.
  std::span<std::uint8_t> build(std::vector<std::uint8_t>& buf, wire::MacAddress dst,
                                wire::EtherType type, std::size_t payload_len) const;
  std::vector<std::uint8_t>& new_frame();

  wire::MacAddress mac_;
  wire::Ipv4Address ip_;
  wire::Ipv4Cidr subnet_{};
  std::optional<wire::Ipv4Address> gateway_;
  Neighbors neighbors_;
  std::vector<std::vector<std::uint8_t>> tx_;  // queued frames; buffers reused
  std::size_t tx_count_ = 0;
  std::vector<ArpRequest> requests_;  // on_timers() output, reused
  EthernetCounters counters_;
};

}  // namespace synack::iface
