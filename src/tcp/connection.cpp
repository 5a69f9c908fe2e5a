// Construction, opening, state bookkeeping and the user calls of RFC 9293
// §3.10.1-3.10.6.
#include "tcp/connection.hpp"
#include "tcp/window_scale.hpp"

#include <algorithm>

namespace synack::tcp {

std::string_view to_string(ConnError e) {
  switch (e) {
    case ConnError::None:
      return "none";
    case ConnError::Refused:
      return "refused";
    case ConnError::TimedOut:
      return "timed out";
    case ConnError::Reset:
      return "reset";
    case ConnError::Aborted:
      return "aborted";
  }
  return "?";
}

Connection::Connection(ConnectionHost& host, const TcpConfig& cfg, FourTuple tuple)
    : host_(host),
      cfg_(&cfg),
      tun_(cfg),
      tuple_(tuple),
      rtt_(cfg.rto_initial, cfg.rto_min, cfg.rto_max),
      cc_(cfg.congestion),
      rack_(host.buffer_pool()),
      snd_buf_(cfg.send_buffer, host.buffer_pool()),
      rcv_buf_(cfg.recv_buffer, host.buffer_pool()) {}

void Connection::open_active(Instant now, SeqNum iss, std::uint16_t our_mss,
                             std::uint32_t ts_offset) {
  now_ = now;
  our_mss_ = our_mss;
  ts_offset_ = ts_offset;
  snd_.iss = iss;
  snd_.una = iss;
  snd_.nxt = iss;  // output() sends the SYN and advances nxt
  snd_.max = iss;
  snd_buf_seq_ = iss + 1;
  last_small_end_ = iss;
  rcv_.wscale = cfg_->window_scaling ? window_shift_for(cfg_->recv_buffer) : 0;
  // Chosen once: every SYN (and a simultaneous open's SYN-ACK) offers it,
  // and the edge is set from it when the peer's SYN comes.
  BufferPool* pool = host_.buffer_pool();
  rcv_.syn_wnd = handshake_window(rcv_buf_.capacity(), pool != nullptr && pool->under_pressure());
  set_state(TcpState::SynSent, "connect");
  timers_.retransmit = now + cfg_->rto_initial;
  activity();
}

void Connection::open_established(Instant now, const HandshakeResult& h, std::uint16_t our_mss) {
  now_ = now;
  our_mss_ = our_mss;
  sack_ok_ = h.sack_ok;
  ts_ok_ = h.ts_ok;
  ts_recent_ = h.ts_recent;
  ts_recent_stamp_ = now;
  ts_offset_ = h.ts_offset;
  snd_.iss = h.iss;
  snd_.una = h.iss + 1;
  snd_.nxt = h.iss + 1;
  snd_.max = h.iss + 1;
  snd_buf_seq_ = h.iss + 1;
  last_small_end_ = h.iss;
  snd_.mss = std::min(h.peer_mss, our_mss);
  if (h.ts_ok) snd_.mss = static_cast<std::uint16_t>(std::max(snd_.mss - 12, 64));  // RFC 6691
  wscale_ok_ = h.wscale_ok;
  snd_.wscale = h.wscale_ok ? h.snd_wscale : 0;
  rcv_.wscale = h.wscale_ok ? h.rcv_wscale : 0;
  snd_.wnd = h.peer_window;
  snd_.max_wnd = h.peer_window;
  snd_.wl1 = h.irs + 1;
  snd_.wl2 = h.iss + 1;
  cc_.init(snd_.mss);  // RFC 6928 initial window
  quickack_ = kQuickAcks;
  recover_ = h.iss;
  high_rxt_ = h.iss;
  rcv_.irs = h.irs;
  rcv_.nxt = h.irs + 1;
  last_ack_sent_ = rcv_.nxt;
  // The SYN-ACK advertised at most 65535 unscaled; keep that edge.
  rcv_.last_adv_wnd =
      h.offered_window != 0
          ? h.offered_window
          : static_cast<std::uint32_t>(std::min<std::size_t>(rcv_buf_.free(), 0xffff));
  rcv_.last_adv_edge = rcv_.nxt + rcv_.last_adv_wnd;
  // RFC 6298 §5.7: a retransmitted SYN-ACK, or a SYN cookie, leaves no
  // sample; the RTO is then 3 s once data starts (Linux's TCP_TIMEOUT_FALLBACK).
  if (h.rtt) {
    rtt_.sample(*h.rtt);
  } else {
    rtt_.handshake_without_sample();
  }
  // The half-open part of the life was the listener's RequestSock.
  state_ = TcpState::SynReceived;
  set_state(TcpState::Established, "handshake complete");
  // After the state change: keepalive runs only on synchronized connections.
  arm_keepalive(now);
  activity();
}

void Connection::set_state(TcpState s, std::string_view why) {
  if (s == state_) return;
  TcpState from = state_;
  state_ = s;
  host_.on_state_change(*this, from, s, why);
}

void Connection::enter_closed(ConnError e, std::string_view why) {
  if (e != ConnError::None && error_ == ConnError::None) error_ = e;
  timers_ = TimerSet{};
  set_state(TcpState::Closed, why);
  activity();
}

std::size_t Connection::send(std::span<const std::uint8_t> data) {
  if (write_closed_ || state_ == TcpState::Closed) return 0;
  std::size_t n = snd_buf_.push(data);
  if (n > 0) activity();
  return n;
}

std::span<std::uint8_t> Connection::send_view(std::size_t want) {
  if (write_closed_ || state_ == TcpState::Closed) return {};
  return snd_buf_.back_view(want);
}

std::size_t Connection::send_commit(std::size_t n) {
  if (write_closed_ || state_ == TcpState::Closed) return 0;
  n = snd_buf_.commit(n);
  if (n > 0) activity();
  return n;
}

std::size_t Connection::recv(std::span<std::uint8_t> out) {
  std::size_t n = rcv_buf_.pop(out);
  if (n > 0) after_read();
  return n;
}

std::size_t Connection::consume(std::size_t n) {
  n = rcv_buf_.discard(n);
  if (n > 0) after_read();
  return n;
}

void Connection::after_read() {
  if (ooo_.empty()) rcv_buf_.release_if_empty();
  // Window update: tell the peer once the right edge can move by a useful
  // amount (receiver-side silly window avoidance, RFC 9293 §3.8.6.2.2).
  // Not once the peer's FIN is in: it sends no more data, and an ACK from
  // TIME-WAIT would draw an RST from a peer already CLOSED, which ends
  // TIME-WAIT early (§3.10.7.4).
  if (is_synchronized(state_) && !rcv_.fin_received) {
    SeqNum edge = rcv_.nxt + static_cast<std::uint32_t>(rcv_buf_.storable());
    if (edge - rcv_.last_adv_edge >= static_cast<std::int32_t>(window_update_threshold())) {
      schedule_ack(true);  // a window update is never delayed
      activity();
    }
  }
}

void Connection::shutdown_write(Instant now) {
  now_ = now;
  if (write_closed_) return;
  write_closed_ = true;
  switch (state_) {
    case TcpState::SynSent:
    case TcpState::SynReceived:
      // RFC 9293 §3.10.4: queue the FIN until the connection is established.
      snd_.fin_queued = true;
      break;
    case TcpState::Established:
      snd_.fin_queued = true;
      set_state(TcpState::FinWait1, "close");
      break;
    case TcpState::CloseWait:
      snd_.fin_queued = true;
      set_state(TcpState::LastAck, "close");
      break;
    default:
      break;
  }
  activity();
}

void Connection::close(Instant now) {
  now_ = now;
  if (user_closed_) return;
  user_closed_ = true;
  if (state_ == TcpState::SynSent) {
    enter_closed(ConnError::None, "close before connected");
    return;
  }
  // RFC 2525 §2.17: closing with unread data must reset, so the peer learns
  // that its data was not consumed.
  if (!rcv_buf_.empty() && state_ != TcpState::Closed) {
    abort(now);
    return;
  }
  shutdown_write(now);
  if (state_ == TcpState::FinWait2) timers_.fin_wait2 = now + cfg_->fin_timeout;
}

void Connection::abort(Instant now) {
  now_ = now;
  user_closed_ = true;
  write_closed_ = true;
  switch (state_) {
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
      // RFC 9293 §3.10.5: send a reset (with the ACK, as Linux).
      send_active_reset();
      break;
    default:
      break;
  }
  snd_buf_.discard(snd_buf_.size());
  rcv_buf_.discard(rcv_buf_.size());
  if (state_ != TcpState::Closed) enter_closed(ConnError::Aborted, "abort");
}

void Connection::set_congestion(CongestionAlgorithm a) {
  if (a == tun_.congestion) return;
  tun_.congestion = a;
  CongestionControl fresh(a);
  fresh.init(snd_.mss);
  fresh.cwnd = cc_.cwnd;
  fresh.ssthresh = cc_.ssthresh;
  cc_ = fresh;
}

void Connection::set_keepalive(Instant now, bool on, Duration idle, Duration interval, int probes) {
  now_ = now;
  tun_.keepalive = on;
  tun_.keepalive_time = idle;
  tun_.keepalive_interval = interval;
  tun_.keepalive_probes = probes;
  keepalive_probes_sent_ = 0;
  timers_.keepalive = kNever;
  arm_keepalive(now);
  activity();
}

TcpInfo Connection::info() const {
  TcpInfo i;
  i.state = state_;
  i.congestion = cc_.name();
  i.srtt = rtt_.srtt();
  i.rttvar = rtt_.rttvar();
  i.rto = rtt_.rto();
  i.snd_mss = snd_.mss;
  i.rcv_mss = rcv_mss_;
  i.cwnd = cc_.cwnd;
  i.ssthresh = cc_.ssthresh;
  i.snd_wnd = snd_.wnd;
  i.rcv_wnd = rcv_.last_adv_wnd;
  i.bytes_in_flight = static_cast<std::uint32_t>(snd_.max - snd_.una);
  i.sacked_now = scoreboard_.sacked_bytes();
  i.in_recovery = in_recovery_;
  i.sack = sack_ok_;
  i.timestamps = ts_ok_;
  i.snd_wscale = snd_.wscale;
  i.rcv_wscale = rcv_.wscale;
  i.snd_buf_memory = snd_buf_.allocated();
  i.rcv_buf_memory = rcv_buf_.allocated();
  i.stats = stats_;
  return i;
}

}  // namespace synack::tcp
