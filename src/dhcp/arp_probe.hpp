#pragma once
// Address conflict detection for an address just leased (RFC 5227 §2.1,
// which RFC 2131 §4.4.1's "final check" relies on), sans-IO: the owner
// passes the time and every Ethernet frame the link receives, and sends the
// frames the prober queues.
//
//   ArpProbe p(mac, seed);
//   p.start(now, candidate);
//   while (auto f = p.pop_frame()) send(*f);        // whole Ethernet frames
//   p.on_frame(now, frame);                         // every frame received
//   if (now >= p.poll_at()) p.on_timer(now);
//   p.result();                                     // Pending, Free or Conflict
//
// Timing (RFC 5227 §1.1 constants): the first probe after a random wait of
// 0 to PROBE_WAIT (1 s), then PROBE_NUM (3) probes PROBE_MIN..PROBE_MAX (1
// to 2 s) apart, all from the seed; the address is Free ANNOUNCE_WAIT (2 s)
// after the last. A probe is an ARP request broadcast with our MAC as
// sender, sender IP 0.0.0.0 and the candidate as target IP.
// A conflict (§2.1.1): any ARP packet (request or reply) whose sender IP is
// the candidate, or an ARP probe from another MAC for the candidate (another
// host probing for it at the same time), received between start() and the
// end. Announcements (§2.3) are left out: synack's ARP answers requests for
// the address as soon as it is configured.
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::dhcp {

struct ArpProbeConfig {
  Duration probe_wait = std::chrono::seconds(1);
  int probe_num = 3;
  Duration probe_min = std::chrono::seconds(1);
  Duration probe_max = std::chrono::seconds(2);
  Duration announce_wait = std::chrono::seconds(2);
};

class ArpProbe {
 public:
  enum class Result : std::uint8_t { Idle, Pending, Free, Conflict };

  ArpProbe(wire::MacAddress mac, std::uint64_t seed, const ArpProbeConfig& cfg = {});

  // Starts probing `candidate` (any probe under way is abandoned).
  void start(Instant now, wire::Ipv4Address candidate);
  void cancel();
  Instant poll_at() const { return deadline_; }
  void on_timer(Instant now);
  // One received Ethernet frame (anything; only ARP is looked at).
  void on_frame(Instant now, std::span<const std::uint8_t> frame);
  std::optional<std::vector<std::uint8_t>> pop_frame();

  Result result() const { return result_; }
  wire::Ipv4Address candidate() const { return candidate_; }
  // The MAC that claimed the candidate (Conflict).
  wire::MacAddress conflict_mac() const { return conflict_mac_; }
  int probes_sent() const { return sent_; }

 private:
  Duration uniform(Duration lo, Duration hi);
  void send_probe();

  wire::MacAddress mac_;
  ArpProbeConfig cfg_;
  std::uint64_t rng_;
  Result result_ = Result::Idle;
  wire::Ipv4Address candidate_;
  wire::MacAddress conflict_mac_;
  Instant deadline_ = kNever;
  int sent_ = 0;
  std::deque<std::vector<std::uint8_t>> out_;
};

}  // namespace synack::dhcp
