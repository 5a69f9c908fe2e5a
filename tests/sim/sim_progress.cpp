#include "sim_progress.hpp"

#include "wire/tcp.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace synack::simtest {

using namespace std::chrono_literals;

namespace {

// The chance one copy of a frame does not arrive intact.
double frame_loss(const phy::LinkParams& p) {
  return 1 - (1 - p.loss) * (1 - p.corrupt);
}

// The longest one-way trip a frame can take: propagation, jitter, a
// reordering hold and a full queue on a rate-limited link.
Duration worst_one_way(const phy::LinkParams& p, std::size_t mtu) {
  Duration d = p.delay + p.jitter;
  if (p.reorder > 0) d += p.reorder_extra;
  if (p.rate_bps > 0) {
    double bits = static_cast<double>(p.queue_limit_bytes + mtu) * 8;
    d += Duration(static_cast<std::int64_t>(bits * 1e6 / static_cast<double>(p.rate_bps)));
  }
  return d;
}

}  // namespace

StallBound stall_bound(const Scenario& sc) {
  StallBound b;
  b.attempt_loss = 1 - (1 - frame_loss(sc.c2s)) * (1 - frame_loss(sc.s2c));
  // k such that k lost attempts in a row happen with probability below
  // 1e-10: over 100,000 seeds of up to ~1,000 loss episodes each, a correct
  // stack fails a seed this way about once in a hundred campaigns.
  b.attempts = 3;
  if (b.attempt_loss > 0)
    b.attempts =
        std::max(3, static_cast<int>(std::ceil(std::log(1e-10) / std::log(b.attempt_loss))));
  // The RTO before any backoff: SRTT + 4 RTTVAR with both at their worst
  // (RTTVAR up to RTT / 2, a delayed ACK inside the RTT), and never below the
  // 3 s that follows a retransmitted handshake (RFC 6298 §5.7).
  std::size_t mtu = std::max(sc.client.mtu, sc.server.mtu);
  Duration rtt = worst_one_way(sc.c2s, mtu) + worst_one_way(sc.s2c, mtu) + sc.client.tcp.delack_max;
  b.rto0 = std::max<Duration>(3s, 3 * rtt + sc.client.tcp.rto_min);
  Duration rto_max = std::max(sc.client.tcp.rto_max, sc.server.tcp.rto_max);
  Duration wait = b.rto0;
  for (int i = 0; i < b.attempts; ++i) {
    b.bound += std::min(wait, rto_max);
    wait = std::min(wait * 2, rto_max);
  }
  // A reader that starts late closes the window on purpose; the persist
  // timer's backoff may take as long again to notice it opened.
  b.bound += 2 * std::max(sc.client.read_pause, sc.server.read_pause);
  return b;
}

Stall longest_stall(const tcp::Trace& trace, Instant start, Instant end) {
  Stall s;
  Instant last = start;
  std::map<std::string, std::uint32_t> highest_ack;  // per receiving host
  auto progress = [&](Instant t) {
    if (t - last > s.longest) {
      s.longest = t - last;
      s.from = last;
    }
    last = t;
  };
  for (const tcp::TraceEvent& e : trace.events()) {
    if (e.time < start) continue;
    if (e.time >= end) break;
    if (e.kind == tcp::TraceKind::StateChange) {
      progress(e.time);
    } else if (e.kind == tcp::TraceKind::SegmentReceived &&
               (e.segment.flags & wire::tcp_flags::kAck)) {
      auto [it, fresh] = highest_ack.try_emplace(e.host, e.segment.ack);
      if (fresh || static_cast<std::int32_t>(e.segment.ack - it->second) > 0) {
        it->second = e.segment.ack;
        progress(e.time);
      }
    }
  }
  progress(end);
  return s;
}

}  // namespace synack::simtest
