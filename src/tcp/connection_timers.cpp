// Retransmission (RFC 6298 §5), SYN and SYN-ACK retransmission with Linux's
// retry limits, zero-window probes (RFC 9293 §3.8.6.1) and the orphaned
// FIN-WAIT-2 timeout.
#include <algorithm>

#include "tcp/connection.hpp"

namespace synack::tcp {

void Connection::on_timer(Instant now) {
  now_ = now;
  if (timers_.fin_wait2 <= now) {
    timers_.fin_wait2 = kNever;
    if (state_ == TcpState::FinWait2) {
      enter_closed(ConnError::None, "FIN-WAIT-2 timeout");
      return;
    }
  }
  if (timers_.retransmit <= now) {
    timers_.retransmit = kNever;
    on_retransmit_timeout(now);
    if (state_ == TcpState::Closed) return;
  }
  if (timers_.persist <= now) {
    timers_.persist = kNever;
    on_persist_timeout(now);
  }
}

void Connection::on_retransmit_timeout(Instant now) {
  ++stats_.timeouts;
  timed_seq_.reset();  // Karn's rule
  if (state_ == TcpState::SynSent || state_ == TcpState::SynReceived) {
    int limit = state_ == TcpState::SynSent ? cfg_.syn_retries : cfg_.synack_retries;
    if (syn_retransmits_ >= limit) {
      enter_closed(ConnError::TimedOut, "SYN retransmissions exhausted");
      return;
    }
    ++syn_retransmits_;
    // Exponential backoff from the initial RTO: 1, 2, 4, 8 ... s.
    Duration wait = cfg_.rto_initial;
    for (int i = 0; i < syn_retransmits_; ++i)
      wait *= 2;
    timers_.retransmit = now + std::min(wait, cfg_.rto_max);
    snd_.nxt = snd_.iss;  // output() sends the SYN (or SYN-ACK) again
    activity();
    return;
  }
  if (snd_.una == snd_.max) return;  // nothing outstanding
  if (backoff_ >= cfg_.retries2) {
    enter_closed(ConnError::TimedOut, "retransmissions exhausted");
    return;
  }
  ++backoff_;
  // RFC 5681 §3.1: after a timeout, ssthresh = max(FlightSize/2, 2*SMSS) and
  // the window restarts from one segment.
  snd_.ssthresh = std::max<std::uint32_t>(in_flight() / 2, 2u * snd_.mss);
  snd_.cwnd = snd_.mss;
  // Go back to the oldest unacknowledged byte (the FIN too, if unacked).
  snd_.nxt = snd_.una;
  if (snd_.fin_sent && snd_.una <= snd_.fin_seq) snd_.fin_sent = false;
  arm_retransmit(now);
  activity();
}

void Connection::on_persist_timeout(Instant now) {
  if (snd_.wnd != 0 || snd_buf_.size() <= static_cast<std::size_t>(snd_.nxt - snd_buf_seq_)) {
    persist_backoff_ = 0;
    return;
  }
  // A zero-window probe: an old sequence number with no data makes the
  // receiver answer with an ACK carrying its current window (Linux's form of
  // the probe in RFC 9293 §3.8.6.1).
  emit(wire::tcp_flags::kAck, snd_.una - 1, {}, false);
  ++persist_backoff_;
  Duration d = rtt_.rto();
  for (int i = 0; i < persist_backoff_ && d < cfg_.rto_max; ++i)
    d *= 2;
  timers_.persist = now + std::min(d, cfg_.rto_max);
}

}  // namespace synack::tcp
