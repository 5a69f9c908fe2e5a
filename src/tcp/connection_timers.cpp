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
  if (timers_.rack <= now) {
    timers_.rack = kNever;
    on_rack_timeout(now);
  }
  // A loss probe due with the RTO goes first and restarts the RTO.
  if (timers_.loss_probe <= now) {
    timers_.loss_probe = kNever;
    on_loss_probe_timeout(now);
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
  if (timers_.delack <= now) {
    timers_.delack = kNever;
    if (ack_pending_ && state_ != TcpState::Closed) {
      ++stats_.delayed_acks;
      send_ack_now();
    }
  }
  if (timers_.keepalive <= now) {
    timers_.keepalive = kNever;
    on_keepalive_timeout(now);
  }
}

void Connection::arm_keepalive(Instant now) {
  if (tun_.keepalive && is_synchronized(state_) && state_ != TcpState::TimeWait)
    timers_.keepalive = now + tun_.keepalive_time;
}

void Connection::on_keepalive_timeout(Instant now) {
  // RFC 9293 §3.8.4 (RFC 1122 §4.2.3.6): only an idle connection is probed;
  // while data is outstanding the retransmission timer watches the peer.
  if (!tun_.keepalive) return;
  if (state_ != TcpState::Established && state_ != TcpState::CloseWait &&
      state_ != TcpState::FinWait2)
    return;
  if (snd_.una != snd_.max || snd_buf_.size() > 0) {
    timers_.keepalive = now + tun_.keepalive_time;
    return;
  }
  if (keepalive_probes_sent_ >= tun_.keepalive_probes) {
    // Like Linux: give up, tell the peer with a RST, report a timeout.
    send_active_reset();
    enter_closed(ConnError::TimedOut, "keepalive: peer did not answer");
    return;
  }
  // The probe: SEG.SEQ = SND.NXT - 1 and no data, which any live peer must
  // answer with an ACK (RFC 1122 §4.2.3.6).
  ++keepalive_probes_sent_;
  ++stats_.keepalive_probes;
  emit(wire::tcp_flags::kAck, snd_.max - 1, {}, false);
  timers_.keepalive = now + tun_.keepalive_interval;
}

void Connection::on_retransmit_timeout(Instant now) {
  ++stats_.timeouts;
  timed_seq_.reset();  // Karn's rule
  if (state_ == TcpState::SynSent || state_ == TcpState::SynReceived) {
    int limit = state_ == TcpState::SynSent ? cfg_->syn_retries : cfg_->synack_retries;
    if (syn_retransmits_ >= limit) {
      enter_closed(ConnError::TimedOut, "SYN retransmissions exhausted");
      return;
    }
    ++syn_retransmits_;
    // Exponential backoff from the initial RTO: 1, 2, 4, 8 ... s.
    Duration wait = cfg_->rto_initial;
    for (int i = 0; i < syn_retransmits_; ++i)
      wait *= 2;
    timers_.retransmit = now + std::min(wait, cfg_->rto_max);
    snd_.nxt = snd_.iss;  // output() sends the SYN (or SYN-ACK) again
    activity();
    return;
  }
  if (snd_.una == snd_.max) return;  // nothing outstanding
  // Linux's tcp_retransmit_timer: a receiver that shrank its window to zero
  // turns our retransmissions into window probes; while it keeps answering
  // (an ACK within rto_max) they do not count toward retries2. An orphan
  // gets no such patience.
  bool zero_window = snd_.wnd == 0 && !user_closed_;
  if (zero_window && now - last_ack_at_ > cfg_->rto_max) {
    enter_closed(ConnError::TimedOut, "zero window: the peer stopped answering");
    return;
  }
  if (!zero_window && backoff_ >= cfg_->retries2) {
    enter_closed(ConnError::TimedOut, "retransmissions exhausted");
    return;
  }
  ++backoff_;
  // RFC 5681 §3.1 / RFC 9438 §4.8: ssthresh from the flight, the window
  // restarts from one segment. Recovery in progress is abandoned; the next
  // fast retransmit waits for data sent after this point (RFC 6582 §4).
  if (backoff_ == 1 && !in_recovery_) remember_for_undo();
  cc_.on_timeout(now, static_cast<std::uint32_t>(snd_.max - snd_.una));
  in_recovery_ = false;
  probe_marked_lost_ = false;
  dupacks_ = 0;
  recover_ = snd_.max;
  tlp_end_.reset();  // the timeout ends any probe episode (RFC 8985 §7.4)
  timers_.loss_probe = kNever;
  timers_.rack = kNever;
  if (rack_enabled()) rack_.on_rto(now, snd_.max);
  // Go back to the oldest unacknowledged byte (the FIN too, if unacked).
  snd_.nxt = snd_.una;
  if (snd_.fin_sent && snd_.una <= snd_.fin_seq) snd_.fin_sent = false;
  arm_retransmit(now);
  activity();
}

void Connection::on_persist_timeout(Instant now) {
  if (snd_.wnd != 0 || !has_unsent()) {
    persist_backoff_ = 0;
    probes_out_ = 0;
    return;
  }
  // RFC 1122 §4.2.2.17: probe for as long as the receiver answers; but a
  // receiver that stopped answering is gone. Like Linux's tcp_probe_timer,
  // give up after tcp_retries2 probes in a row without an ACK.
  if (probes_out_ >= cfg_->retries2) {
    enter_closed(ConnError::TimedOut, "zero-window probes unanswered");
    return;
  }
  if (user_closed_ && persist_backoff_ >= cfg_->orphan_retries) {
    if (persist_interval() >= cfg_->rto_max) {
      enter_closed(ConnError::TimedOut, "orphan: zero window held too long");
      return;
    }
  }
  // A zero-window probe: an old sequence number with no data makes the
  // receiver answer with an ACK carrying its current window (Linux's form of
  // the probe in RFC 9293 §3.8.6.1).
  emit(wire::tcp_flags::kAck, snd_.una - 1, {}, false);
  ++probes_out_;
  ++persist_backoff_;
  timers_.persist = now + persist_interval();
}

}  // namespace synack::tcp
