#include "iface/ethernet_link.hpp"

#include <algorithm>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace synack::iface {

EthernetLink::EthernetLink(wire::MacAddress mac, wire::Ipv4Address ip, const NeighborConfig& cfg)
    : mac_(mac), ip_(ip), neighbors_(cfg) {}

std::optional<std::span<const std::uint8_t>> EthernetLink::receive(
    Instant now, std::span<const std::uint8_t> frame) {
  auto view = wire::EthernetView<const std::uint8_t>::checked(frame);
  if (!view) {
    ++counters_.malformed;
    return std::nullopt;
  }
  auto eth = wire::EthernetRepr::parse(*view);
  if (!eth) {
    ++counters_.ignored;  // 802.3 length field: LLC, STP, ...
    return std::nullopt;
  }
  if (eth->dst != mac_ && !eth->dst.is_broadcast()) {
    ++counters_.not_for_us;
    return std::nullopt;
  }
  switch (eth->ethertype) {
    case wire::EtherType::Ipv4:
      return view->payload();
    case wire::EtherType::Arp:
      on_arp(now, view->payload());
      return std::nullopt;
    default:
      ++counters_.ignored;
      return std::nullopt;
  }
}

void EthernetLink::on_arp(Instant now, std::span<const std::uint8_t> payload) {
  auto view = wire::ArpView<const std::uint8_t>::checked(payload);
  if (!view) {
    ++counters_.malformed;
    return;
  }
  auto arp = wire::ArpRepr::parse(*view);
  if (!arp) {
    ++counters_.ignored;  // another hardware or protocol type, RARP, ...
    return;
  }
  ++counters_.arp_in;
  // Never learn a group address or a claim on our own IP (a conflict, or our
  // own packet looped back).
  if (!arp->sender_mac.is_unicast() || arp->sender_mac == mac_ || arp->sender_ip == ip_) {
    ++counters_.arp_bogus;
    return;
  }
  bool for_us = ip_ != wire::Ipv4Address() && arp->target_ip == ip_;
  // RFC 826 merge; 0.0.0.0 senders are address probes (RFC 5227): nothing to learn.
  if (arp->sender_ip != wire::Ipv4Address()) {
    for (auto& packet : neighbors_.learn(now, arp->sender_ip, arp->sender_mac, for_us)) {
      auto out = build(new_frame(), arp->sender_mac, wire::EtherType::Ipv4, packet.size());
      std::ranges::copy(packet, out.begin());
    }
  }
  if (!for_us || arp->operation != wire::ArpOperation::Request) return;
  // RFC 826: swap the fields, put ours in as sender, and send it back to the
  // requester's hardware address.
  wire::ArpRepr reply{wire::ArpOperation::Reply, mac_, ip_, arp->sender_mac, arp->sender_ip};
  reply.emit(build(new_frame(), arp->sender_mac, wire::EtherType::Arp, reply.packet_len()));
  ++counters_.arp_replies;
}

std::size_t EthernetLink::send_ip(Instant now, std::vector<std::uint8_t>& frame, Device& dev,
                                  TxMeta meta) {
  auto transmit = [&] {
    if (meta.csum_start != 0) {
      dev.transmit_offloaded(now, frame, meta);
    } else {
      dev.transmit(now, frame);
    }
  };
  // Packets come from our own IP layer: at least a 20-byte header.
  auto packet = std::span<std::uint8_t>(frame).subspan(kHeadroom);
  wire::Ipv4Address dst(wire::load_be32(packet, 16));
  bool multicast = (dst.to_u32() >> 28) == 0xe;
  if (is_broadcast(dst) || multicast) {
    if (frame.size() < wire::EthernetRepr::kMinFrameLen)
      frame.resize(wire::EthernetRepr::kMinFrameLen);
    // RFC 1112 §6.4: a group's MAC is 01:00:5e and its low 23 bits.
    std::uint32_t g = dst.to_u32();
    wire::MacAddress to =
        multicast
            ? wire::MacAddress(0x01, 0x00, 0x5e, static_cast<std::uint8_t>((g >> 16) & 0x7f),
                               static_cast<std::uint8_t>(g >> 8), static_cast<std::uint8_t>(g))
            : wire::MacAddress::broadcast();
    wire::EthernetRepr{to, mac_, wire::EtherType::Ipv4}.emit(frame);
    transmit();
    return 1;
  }
  // RFC 1122 §3.3.1.1: on-link destinations directly, the rest via the gateway.
  wire::Ipv4Address next_hop = gateway_ && !subnet_.contains(dst) ? *gateway_ : dst;
  // A held packet leaves later without its offload metadata: complete its
  // checksum now (a segment longer than the MTU is lost, and retransmitted
  // once the neighbor is known).
  if (meta.csum_start != 0 && !neighbors_.lookup(now, next_hop)) {
    complete_checksum(packet, meta);
    meta = TxMeta{};
  }
  auto d = neighbors_.send(now, next_hop, packet);
  if (d.request) queue_request(*d.request);
  if (!d.mac) return 0;  // held (or dropped: see the neighbor counters)
  // Padding to the minimum frame length; resize() zero-fills what it adds.
  if (frame.size() < wire::EthernetRepr::kMinFrameLen)
    frame.resize(wire::EthernetRepr::kMinFrameLen);
  wire::EthernetRepr{*d.mac, mac_, wire::EtherType::Ipv4}.emit(frame);
  transmit();
  return 1;
}

void EthernetLink::complete_checksum(std::span<std::uint8_t> packet, const TxMeta& meta) {
  // The field holds the pseudo-header sum; summing over it finishes the job.
  auto l4 = packet.subspan(meta.csum_start);
  std::uint32_t sum = wire::checksum_accumulate(0, l4);
  wire::store_be16(l4, 16, static_cast<std::uint16_t>(~wire::checksum_fold(sum)));
}

std::size_t EthernetLink::flush(Instant now, Device& dev) {
  std::size_t n = tx_count_;
  for (std::size_t i = 0; i < n; ++i)
    dev.transmit(now, tx_[i]);
  tx_count_ = 0;
  return n;
}

void EthernetLink::on_timers(Instant now) {
  requests_.clear();
  neighbors_.on_timers(now, requests_);
  for (const ArpRequest& r : requests_)
    queue_request(r);
}

bool EthernetLink::is_broadcast(wire::Ipv4Address dst) const {
  return dst == wire::Ipv4Address::broadcast() || dst == subnet_.broadcast();
}

Instant EthernetLink::poll_at(Instant now) const {
  if (tx_count_ > 0) return now;
  return neighbors_.next_deadline();
}

void EthernetLink::queue_request(const ArpRequest& req) {
  // Broadcast to resolve, unicast to confirm a cached answer (RFC 1122
  // §2.3.2.1); the target hardware address is left zero either way.
  wire::MacAddress dst = req.unicast.value_or(wire::MacAddress::broadcast());
  wire::ArpRepr r{wire::ArpOperation::Request, mac_, ip_, wire::MacAddress(), req.target};
  r.emit(build(new_frame(), dst, wire::EtherType::Arp, r.packet_len()));
  ++counters_.arp_requests;
}

std::span<std::uint8_t> EthernetLink::build(std::vector<std::uint8_t>& buf, wire::MacAddress dst,
                                            wire::EtherType type, std::size_t payload_len) const {
  std::size_t len = wire::EthernetRepr::kHeaderLen + payload_len;
  buf.resize(std::max(len, wire::EthernetRepr::kMinFrameLen));
  std::fill(buf.begin() + static_cast<std::ptrdiff_t>(len), buf.end(), 0);  // padding
  wire::EthernetRepr{dst, mac_, type}.emit(buf);
  return std::span(buf).subspan(wire::EthernetRepr::kHeaderLen, payload_len);
}

std::vector<std::uint8_t>& EthernetLink::new_frame() {
  if (tx_count_ == tx_.size()) tx_.emplace_back();
  return tx_[tx_count_++];
}

}  // namespace synack::iface
