#include "phy/frame_filter.hpp"

#include <utility>

#include "phy/pcap_writer.hpp"
#include "tcp/trace.hpp"

namespace synack::phy {

using namespace wire::tcp_flags;

TcpFramePredicate tcp_flags_are(std::uint8_t flags) {
  return [flags](const wire::Ipv4Repr&, const wire::TcpRepr& seg) { return seg.flags == flags; };
}

TcpFramePredicate tcp_bare_ack() {
  return [](const wire::Ipv4Repr&, const wire::TcpRepr& seg) {
    return seg.has(kAck) && !seg.has(kSyn) && !seg.has(kFin) && !seg.has(kRst) &&
           seg.payload.empty();
  };
}

void FilteredPort::drop_tcp(std::string description, TcpFramePredicate match, std::uint64_t first,
                            std::uint64_t count) {
  DropRule r;
  r.description = std::move(description);
  r.match = std::move(match);
  r.first = first == 0 ? 1 : first;
  r.count = count;
  rules_.push_back(std::move(r));
}

void FilteredPort::transmit(Instant now, std::span<const std::uint8_t> frame) {
  bool drop = false;
  std::optional<wire::Ipv4Repr> ip;
  std::optional<wire::TcpRepr> seg;
  if (!rules_.empty()) {
    // Frames that are not well-formed TCP-in-IPv4 match no rule.
    auto ip_view = wire::Ipv4View<const std::uint8_t>::checked(frame);
    if (ip_view) {
      auto ip_parsed = wire::Ipv4Repr::parse(*ip_view);
      if (ip_parsed && ip_parsed->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Tcp)) {
        auto tcp_view = wire::TcpView<const std::uint8_t>::checked(ip_view->payload());
        if (tcp_view) {
          wire::PseudoHeader ph{ip_parsed->src, ip_parsed->dst, ip_parsed->protocol,
                                ip_parsed->payload_len};
          auto seg_parsed = wire::TcpRepr::parse(*tcp_view, ph);
          if (seg_parsed) {
            ip = *ip_parsed;
            seg = *seg_parsed;
          }
        }
      }
    }
  }
  if (ip && seg) {
    for (DropRule& r : rules_) {
      if (!r.match(*ip, *seg)) continue;
      ++r.seen;
      if (r.seen >= r.first && r.seen < r.first + r.count) {
        ++r.dropped;
        drop = true;
      }
    }
  }
  if (!drop) {
    ++stats_.passed;
    inner_.transmit(now, frame);
    return;
  }
  ++stats_.dropped;
  if (pcap_ != nullptr) pcap_->write(now, frame);
  record_loss(now, *ip, *seg);
}

void FilteredPort::record_loss(Instant now, const wire::Ipv4Repr& ip, const wire::TcpRepr& seg) {
  if (trace_ == nullptr) return;
  tcp::TraceEvent e;
  e.time = now;
  e.host = host_name_;
  e.kind = tcp::TraceKind::SegmentLost;
  e.segment.src = ip.src;
  e.segment.dst = ip.dst;
  e.segment.src_port = seg.src_port;
  e.segment.dst_port = seg.dst_port;
  e.segment.seq = seg.seq.raw();
  e.segment.ack = seg.ack.raw();
  e.segment.flags = seg.flags;
  e.segment.window = seg.window;
  e.segment.payload_len = static_cast<std::uint32_t>(seg.payload.size());
  e.segment.options = seg.options;
  trace_->record(std::move(e));
}

}  // namespace synack::phy
