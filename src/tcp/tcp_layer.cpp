// Demultiplexing (RFC 9293 §3.10.7), timers and output for one host.
#include "tcp/tcp_layer.hpp"

#include <algorithm>
#include <array>

#include "core/siphash.hpp"
#include "tcp/ts_clock.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

std::string_view to_string(OpenError e) {
  switch (e) {
    case OpenError::AddressInUse:
      return "address in use";
    case OpenError::NoPorts:
      return "no free local port";
    case OpenError::NoMemory:
      return "out of connection memory";
    case OpenError::InvalidArgument:
      return "invalid argument";
  }
  return "?";
}

TcpLayer::TcpLayer(const TcpConfig& cfg, std::string host_name)
    : cfg_(cfg),
      host_name_(std::move(host_name)),
      mss_(cfg.mss),
      isn_(SipKey{cfg.isn_key0, cfg.isn_key1}),
      buffers_(BufferPool::kDefaultCacheBytes, cfg.buffer_budget),
      conn_pool_(cfg.max_connections),
      req_pool_(cfg.max_request_socks),
      time_wait_(cfg.max_time_wait) {
  std::uint32_t range = std::uint32_t(cfg.ephemeral_port_last) - cfg.ephemeral_port_first + 1;
  next_port_hint_ = static_cast<std::uint32_t>(cfg.isn_key0 % range);
}

TcpLayer::~TcpLayer() {
  // Listeners first: their queues refer to connections and request socks.
  listeners_.clear();
}

void TcpLayer::on_segment(Instant now, wire::Ipv4Address src, wire::Ipv4Address dst,
                          const wire::TcpRepr& seg) {
  now_ = now;
  ++counters_.segments_in;
  FourTuple t{dst, seg.dst_port, src, seg.src_port};
  if (auto it = flows_.find(t); it != flows_.end()) {
    Connection* c = it->second;
    c->on_segment(now, seg);
    reindex(c);
    return;
  }
  if (TimeWaitSock* tw = time_wait_.find(t)) {
    on_time_wait_segment(now, tw, seg);
    return;
  }
  if (Listener* l = find_listener(dst, seg.dst_port)) {
    l->on_segment(now, t, seg);
    return;
  }
  reset_unmatched(t, seg);
}

void TcpLayer::on_time_wait_segment(Instant now, TimeWaitSock* tw, const wire::TcpRepr& seg) {
  TimeWaitVerdict v = time_wait_verdict(*tw, seg);
  // RFC 7323 §4.3: an acceptable segment's TSval becomes TS.Recent.
  if (tw->ts_ok && seg.options.timestamps && v != TimeWaitVerdict::Reopen &&
      !ts_before(seg.options.timestamps->tsval, tw->ts_recent) && seg.seq <= tw->rcv_nxt)
    tw->ts_recent = seg.options.timestamps->tsval;
  switch (v) {
    case TimeWaitVerdict::Drop:
      return;
    case TimeWaitVerdict::SendAck: {
      // RFC 5961 §7, as Linux's tcp_timewait_check_oow_rate_limit: at most
      // one answer per interval, and a SYN's challenge ACK counts against
      // the host's budget too.
      bool limited = cfg_.invalid_ratelimit > Duration(0) && tw->last_oow_ack != kNever &&
                     now - tw->last_oow_ack < cfg_.invalid_ratelimit;
      if (!limited && seg.has(kSyn)) limited = !allow_challenge_ack(now);
      if (limited) {
        ++counters_.time_wait_acks_limited;
        return;
      }
      tw->last_oow_ack = now;
      send_time_wait_ack(*tw);
      return;
    }
    case TimeWaitVerdict::AckAndRestart:
      time_wait_.reschedule(tw, now + 2 * cfg_.msl);
      send_time_wait_ack(*tw);
      return;
    case TimeWaitVerdict::Kill:
      ++counters_.time_wait_killed;
      record_state(tw->tuple, TcpState::TimeWait, TcpState::Closed, "RST in TIME-WAIT");
      time_wait_.erase(tw);
      return;
    case TimeWaitVerdict::Reopen: {
      FourTuple t = tw->tuple;
      record_state(t, TcpState::TimeWait, TcpState::Closed, "new SYN reuses the 4-tuple");
      time_wait_.erase(tw);
      if (Listener* l = find_listener(t.local_addr, t.local_port)) {
        l->on_segment(now, t, seg);
      } else {
        reset_unmatched(t, seg);
      }
      return;
    }
  }
}

void TcpLayer::send_time_wait_ack(const TimeWaitSock& tw) {
  wire::TcpRepr r;
  r.src_port = tw.tuple.local_port;
  r.dst_port = tw.tuple.remote_port;
  r.seq = tw.snd_nxt;
  r.ack = tw.rcv_nxt;
  r.flags = kAck;
  r.window = tw.window;
  if (tw.ts_ok)
    r.options.timestamps = wire::TcpTimestamps{ts_clock(now_, tw.ts_offset), tw.ts_recent};
  ++counters_.time_wait_acks;
  send_segment(tw.tuple, r);
}

void TcpLayer::clock_rewound() {
  challenge_second_ = -1;
  challenge_budget_ = 0;
  for (auto& l : listeners_)
    l->clock_rewound();
}

bool TcpLayer::allow_challenge_ack(Instant now) {
  if (cfg_.challenge_ack_limit == 0) return true;
  std::int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (second != challenge_second_) {
    // A fixed per-second count is a side channel that reveals a
    // connection's sequence numbers (CVE-2016-5696); like Linux, each
    // second's budget is drawn from [limit/2, 3*limit/2).
    challenge_second_ = second;
    std::array<std::uint8_t, 8> b{};
    for (std::size_t i = 0; i < b.size(); ++i)
      b[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(second) >> (8 * i));
    std::uint64_t r = siphash24(SipKey{cfg_.isn_key1, cfg_.isn_key0}, b);
    std::uint32_t limit = cfg_.challenge_ack_limit;
    challenge_budget_ = limit / 2 + static_cast<std::uint32_t>(r % limit);
  }
  if (challenge_budget_ == 0) {
    ++counters_.challenge_acks_limited;
    return false;
  }
  --challenge_budget_;
  return true;
}

void TcpLayer::reset_unmatched(const FourTuple& t, const wire::TcpRepr& seg) {
  // RFC 9293 §3.10.7.1: no connection. A RST is dropped; otherwise answer
  // with a RST that the sender will accept.
  if (seg.has(kRst)) return;
  wire::TcpRepr r;
  r.src_port = t.local_port;
  r.dst_port = t.remote_port;
  if (seg.has(kAck)) {
    r.seq = seg.ack;
    r.flags = kRst;
  } else {
    r.seq = SeqNum(0);
    r.ack = seg.seq + seg.seq_len();
    r.flags = kRst | kAck;
  }
  ++counters_.resets_sent;
  send_segment(t, r);
}

void TcpLayer::on_timers(Instant now) {
  now_ = now;
  // Every due connection is taken out first, in deadline order, then each
  // fires and is put back at its next deadline.
  due_.clear();
  while (!timers_.empty() && timers_.earliest() <= now) {
    Connection* c = timers_.top();
    due_.push_back(c);
    timers_.remove(c);
  }
  for (Connection* c : due_) {
    c->on_timer(now);
    reindex(c);
  }
  for (auto& l : listeners_)
    if (l->next_deadline() <= now) l->on_timer(now);
  while (TimeWaitSock* tw = time_wait_.earliest()) {
    if (tw->expires > now) break;
    record_state(tw->tuple, TcpState::TimeWait, TcpState::Closed, "2*MSL elapsed");
    ++counters_.time_wait_expired;
    time_wait_.erase(tw);
  }
}

void TcpLayer::flush(Instant now) {
  now_ = now;
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    Connection* c = dirty_[i];
    c->dirty = false;
    c->output(now);
    reindex(c);
  }
  dirty_.clear();
  // Swapped with a kept list (maybe_reap() looks at reap_): no allocation.
  reaping_.clear();
  reaping_.swap(reap_);
  // A connection can be queued twice (released, then closed): free it once.
  std::sort(reaping_.begin(), reaping_.end());
  reaping_.erase(std::unique(reaping_.begin(), reaping_.end()), reaping_.end());
  for (Connection* c : reaping_)
    maybe_reap(c);
}

Instant TcpLayer::next_deadline() const {
  // Released or finished connections are freed by flush(): poll again soon,
  // or a closed connection whose handle was dropped sits in the pool forever.
  if (!dirty_.empty() || !reap_.empty()) return now_;
  Instant t = time_wait_.next_deadline();
  t = earliest(t, timers_.earliest());
  for (auto& l : listeners_)
    t = earliest(t, l->next_deadline());
  return t;
}

void TcpLayer::reindex(Connection* c) {
  // Closed connections and those handed to a TIME-WAIT mini-socket have no
  // timers of their own any more.
  Instant want = c->is_closed() ? kNever : c->next_deadline();
  timers_.update(c, want);
}

void TcpLayer::send_segment(const FourTuple& tuple, const wire::TcpRepr& seg) {
  ++counters_.segments_out;
  if (out_) out_->send_tcp(tuple.local_addr, tuple.remote_addr, seg);
}

void TcpLayer::record_state(const FourTuple& t, TcpState from, TcpState to, std::string_view why) {
  if (!trace_) return;
  TraceEvent e;
  e.time = now_;
  e.host = host_name_;
  e.kind = TraceKind::StateChange;
  e.local_addr = t.local_addr;
  e.local_port = t.local_port;
  e.remote_addr = t.remote_addr;
  e.remote_port = t.remote_port;
  e.from = from;
  e.to = to;
  e.text = std::string(why);
  trace_->record(std::move(e));
}

}  // namespace synack::tcp
