#pragma once
// Targeted, deterministic loss: a Device decorator that drops chosen TCP
// frames on transmit ("the 1st SYN-ACK", "the 1st bare ACK"), as if the link
// had lost them. Random loss (FaultInjector) shows what happens on average;
// this shows one exact story, the same on every run.
//
// A dropped frame is still written to the pcap (a capture on the sending host
// sees it leave, as with SimNetwork's own losses) and is recorded in the trace
// as TraceKind::SegmentLost, which the sequence diagram draws as `--X (lost)`.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "iface/device.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::tcp {
class Trace;
}

namespace synack::phy {

class PcapWriter;

// Chooses TCP segments by their IPv4 and TCP headers.
using TcpFramePredicate = std::function<bool(const wire::Ipv4Repr&, const wire::TcpRepr&)>;

// Common predicates.
// Exactly these flags (e.g. kSyn | kAck for a SYN-ACK).
TcpFramePredicate tcp_flags_are(std::uint8_t flags);
// An ACK with no SYN, FIN, RST and no payload: the handshake's third message.
TcpFramePredicate tcp_bare_ack();

struct DropRule {
  std::string description;  // e.g. "1st SYN-ACK", for summaries
  TcpFramePredicate match;
  std::uint64_t first = 1;  // the first matching frame (1-based) to drop
  std::uint64_t count = 1;  // how many consecutive matching frames to drop
  std::uint64_t seen = 0;   // matching frames so far
  std::uint64_t dropped = 0;
};

struct FilteredPortStats {
  std::uint64_t passed = 0;   // frames handed to the inner device
  std::uint64_t dropped = 0;  // frames dropped by a rule
};

class FilteredPort : public iface::Device {
 public:
  // `inner` must outlive this decorator; `host_name` names the sender in the
  // trace (the host whose port this is).
  FilteredPort(iface::Device& inner, std::string host_name)
      : inner_(inner), host_name_(std::move(host_name)) {}

  // Drops matching frames number first..first+count-1 (counting from 1).
  // Each frame is counted by every rule; it is dropped if any rule says so.
  void drop_tcp(std::string description, TcpFramePredicate match, std::uint64_t first = 1,
                std::uint64_t count = 1);

  // Not owned; null turns them off.
  void set_trace(tcp::Trace* trace) { trace_ = trace; }
  void set_pcap(PcapWriter* pcap) { pcap_ = pcap; }

  // No transmit offloads: every frame goes through transmit(), where the
  // rules see it as it will be on the wire.
  iface::DeviceCaps caps() const override {
    iface::DeviceCaps c = inner_.caps();
    c.tx_checksum = false;
    c.tso_max = 0;
    return c;
  }
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override {
    return inner_.receive(now);
  }
  bool rx_checksum_trusted() const override { return inner_.rx_checksum_trusted(); }
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;

  const std::vector<DropRule>& rules() const { return rules_; }
  const FilteredPortStats& stats() const { return stats_; }
  const std::string& host_name() const { return host_name_; }

 private:
  void record_loss(Instant now, const wire::Ipv4Repr& ip, const wire::TcpRepr& seg);

  iface::Device& inner_;
  std::string host_name_;
  std::vector<DropRule> rules_;
  tcp::Trace* trace_ = nullptr;
  PcapWriter* pcap_ = nullptr;
  FilteredPortStats stats_;
};

}  // namespace synack::phy
