// What a connection sends: SYN, SYN-ACK, data, FIN, ACK and RST segments.
#include <algorithm>
#include <array>

#include "tcp/connection.hpp"
#include "tcp/ts_clock.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

std::uint16_t Connection::advertised_window(bool syn) {
  // RFC 7323 §2.2: the window in a SYN or SYN-ACK is never scaled (the
  // SYN-ACK of a simultaneous open too); its edge was set when the SYN came.
  // It is the buffer's up to 65535, or under the budget's pressure the first
  // block (handshake_window(), as a listener's SYN-ACK offers).
  if (syn || state_ == TcpState::SynSent) return rcv_.syn_wnd;  // handshake_window(), at connect
  if (!is_synchronized(state_) && state_ != TcpState::SynReceived)
    return static_cast<std::uint16_t>(std::min<std::size_t>(rcv_buf_.free(), 0xffff));
  // Past the handshake the window offered is what the stack's buffer budget
  // lets the buffer grow to (Linux's tcp_mem), but its edge never moves back.
  std::size_t free = rcv_buf_.storable();
  SeqNum right = rcv_.nxt + static_cast<std::uint32_t>(free);
  std::size_t scaled = std::min<std::size_t>(free >> rcv_.wscale, 0xffff);
  // Receiver silly-window avoidance (RFC 9293 §3.8.6.2.2): move the right
  // edge only by a useful amount; never move it left. A held edge is
  // scaled down, so on the wire it may sit up to 2^wscale - 1 bytes short
  // of the one offered before (RFC 7323 Appendix F; Linux's tcp_shrink_window
  // does the same to keep memory limits): rounding up would offer bytes the
  // budget may have no room for. Bytes up to the edge offered are still
  // taken (last_adv_edge).
  if (rcv_.nxt <= rcv_.last_adv_edge &&
      right - rcv_.last_adv_edge < static_cast<std::int32_t>(window_update_threshold())) {
    std::size_t held = static_cast<std::size_t>(rcv_.last_adv_edge - rcv_.nxt);
    scaled = std::min<std::size_t>(held >> rcv_.wscale, 0xffff);
  }
  rcv_.last_adv_wnd = static_cast<std::uint32_t>(scaled << rcv_.wscale);
  rcv_.last_adv_edge = seq_max(rcv_.last_adv_edge, rcv_.nxt + rcv_.last_adv_wnd);
  return static_cast<std::uint16_t>(scaled);
}

void Connection::emit(std::uint8_t flags, SeqNum seq, std::span<const std::uint8_t> payload,
                      bool with_syn_options) {
  if (in_recovery_ && sack_ok_) prr_.on_sent(static_cast<std::uint32_t>(payload.size()));
  wire::TcpRepr r;
  // Longer than one wire segment only on an offloading device, which cuts it
  // at the MSS less this segment's options (RFC 6691), as the SACK blocks
  // filled in below leave it.
  if (std::uint32_t wire_mss = data_mss(); payload.size() > wire_mss)
    r.segment_size = static_cast<std::uint16_t>(wire_mss);
  r.src_port = tuple_.local_port;
  r.dst_port = tuple_.remote_port;
  r.seq = seq;
  r.flags = flags;
  if (flags & kAck) {
    r.ack = rcv_.nxt;
    // An ACK that covers new data uses up one quick ACK; any ACK settles
    // what was owed (RFC 9293 §3.8.6.3: data carries the ACK for free).
    if (quickack_ > 0 && last_ack_sent_ != rcv_.nxt && is_synchronized(state_)) --quickack_;
    last_ack_sent_ = rcv_.nxt;
    ack_pending_ = false;
    ack_now_ = false;
    timers_.delack = kNever;
  }
  if (!(flags & kRst) || (flags & kAck)) r.window = advertised_window(flags & kSyn);
  if (with_syn_options) {
    r.options.mss = our_mss_;
    // In a SYN-ACK (simultaneous open) offer scaling only if the peer did.
    bool offer = cfg_->window_scaling && (state_ == TcpState::SynSent || wscale_ok_);
    if (offer) r.options.window_scale = rcv_.wscale;
    // SYN offers SACK and timestamps; a SYN-ACK answers only what was offered.
    bool active = state_ == TcpState::SynSent;
    r.options.sack_permitted = active ? cfg_->sack : sack_ok_;
    if (active ? cfg_->timestamps : ts_ok_)
      r.options.timestamps =
          wire::TcpTimestamps{ts_clock(now_, ts_offset_), active ? 0 : ts_recent_};
  } else if (!(flags & kRst)) {
    // RFC 7323 §3.2: once negotiated, on every non-RST segment...
    if (ts_ok_) r.options.timestamps = wire::TcpTimestamps{ts_clock(now_, ts_offset_), ts_recent_};
    if (flags & kAck) fill_sack_blocks(r.options, payload.size());
  } else if ((flags & kAck) && ts_ok_) {
    // ... and SHOULD on a RST (§3.2, §5.2), as Linux's active resets do.
    r.options.timestamps = wire::TcpTimestamps{ts_clock(now_, ts_offset_), ts_recent_};
  }
  r.payload = payload;
  if (seq < snd_.max && (payload.size() > 0 || (flags & (kSyn | kFin)))) ++stats_.retransmits;
  // RFC 8985 §6.1: RACK times every data segment and FIN, sent or resent.
  if (rack_enabled() && !(flags & (kSyn | kRst)) && (payload.size() > 0 || (flags & kFin)))
    rack_.on_transmit(
        seq, seq + static_cast<std::uint32_t>(payload.size() + ((flags & kFin) ? 1 : 0)), now_);
  ++stats_.segments_sent;
  host_.send_segment(tuple_, r);
}

void Connection::send_ack_now() {
  // SEQ=SND.NXT of RFC 9293 is our snd_.max: snd_.nxt rewinds to SND.UNA on
  // a timeout, and an ACK carrying that old number fails the peer's
  // acceptability test (§3.10.7.4), so its ACK field would be ignored. Like
  // BSD, a segment without data carries the highest number sent.
  emit(kAck, snd_.max, {}, false);
  ack_pending_ = false;
}

void Connection::send_rst(SeqNum seq) {
  emit(kRst, seq, {}, false);
}

void Connection::send_active_reset() {
  // A reset we originate (abort, close with unread data, keepalive giving
  // up, a listener closing) carries <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>,
  // as Linux's tcp_send_active_reset: firewalls and peers that check the
  // ACK of a RST accept it. SND.NXT is our snd_.max (nxt rewinds on a
  // timeout).
  emit(kRst | kAck, snd_.max, {}, false);
}

std::span<const std::uint8_t> Connection::payload_at(std::size_t offset, std::size_t len) {
  // Zero copy: the segment points into the send buffer unless the bytes wrap
  // around its end; the interface copies them once, into the frame.
  std::span<const std::uint8_t> v = snd_buf_.view_at(offset, len);
  if (v.size() == len) return v;
  std::vector<std::uint8_t>& scratch = host_.payload_scratch();
  scratch.resize(std::max(scratch.size(), len));
  std::span<std::uint8_t> copy(scratch.data(), len);
  snd_buf_.peek_at(offset, copy);
  return copy;
}

void Connection::arm_persist(Instant now) {
  if (snd_.wnd != 0 || in_flight() != 0 || timers_.persist != kNever) return;
  timers_.persist = now + persist_interval();
}

Duration Connection::persist_interval() const {
  // RTO doubled per probe already sent, at most rto_max (RFC 9293 §3.8.6.1).
  Duration d = rtt_.rto();
  for (int i = 0; i < persist_backoff_ && d < cfg_->rto_max; ++i)
    d *= 2;
  return std::min(d, cfg_->rto_max);
}

void Connection::arm_retransmit(Instant now) {
  if (timers_.retransmit != kNever) return;
  Duration rto = rtt_.rto();
  for (int i = 0; i < backoff_ && rto < cfg_->rto_max; ++i)
    rto *= 2;
  timers_.retransmit = now + std::min(rto, cfg_->rto_max);
}

std::uint32_t Connection::send_segment_limit(std::uint32_t mss) const {
  std::uint32_t limit = host_.offload_payload_limit();
  if (limit <= mss) return mss;
  // The wire segments' headers repeat the options (timestamps, SACK), and
  // the device takes the whole as one IPv4 packet of at most 64 KiB.
  return limit - limit % mss;
}

bool Connection::send_data_segment(Instant now) {
  // Going back after a timeout, skip what the receiver SACKed (RFC 6675 §5.1
  // keeps the scoreboard across the timeout, as Linux does).
  std::size_t sacked_limit = SIZE_MAX;
  if (snd_.nxt < snd_.max && !scoreboard_.empty()) {
    snd_.nxt = scoreboard_.skip_sacked(snd_.nxt);
    for (const SeqRange& r : scoreboard_.ranges())
      if (snd_.nxt < r.start) {
        sacked_limit = static_cast<std::size_t>(r.start - snd_.nxt);
        break;
      }
  }
  std::size_t offset = static_cast<std::size_t>(snd_.nxt - snd_buf_seq_);
  if (offset >= snd_buf_.size()) return false;
  std::size_t avail = snd_buf_.size() - offset;
  // The peer's window bounds what may be outstanding past SND.UNA; the
  // congestion window bounds what is in the network (pipe, in recovery).
  std::uint32_t flight = in_flight();
  std::uint32_t wnd_room = snd_.wnd > flight ? snd_.wnd - flight : 0;
  std::uint32_t p = pipe();
  // RFC 3042 limited transmit: the first two duplicate ACKs each let one new
  // segment out, so a small window still produces the third.
  std::uint32_t cwnd = cc_.cwnd;
  if (!in_recovery_ && dupacks_ > 0 && snd_.nxt == snd_.max)
    cwnd += static_cast<std::uint32_t>(std::min(dupacks_, 2)) * snd_.mss;
  std::uint32_t cwnd_room = cwnd > p ? cwnd - p : 0;
  // RFC 8985 §7.3: a loss probe sends one segment whatever cwnd says.
  if (probe_allowance_ > 0) cwnd_room = probe_allowance_;
  std::size_t usable = std::min(wnd_room, cwnd_room);
  if (usable == 0) {
    arm_persist(now);
    return false;
  }
  std::uint32_t mss = data_mss();
  std::size_t len = std::min<std::size_t>({avail, send_segment_limit(mss), usable, sacked_limit});
  // An offloaded segment carries whole wire segments, except at the end of
  // what is queued: cut at the window's edge, it would put a short segment
  // in the middle of the stream (Linux's tcp_tso_autosize and
  // tcp_mss_split_point do the same).
  if (len > mss && len < avail) len -= len % mss;
  bool retransmission = snd_.nxt < snd_.max;
  if (len < mss && !retransmission && probe_allowance_ == 0) {
    // Nagle (RFC 9293 §3.7.4) and sender silly-window avoidance (§3.8.6.2.1):
    // a short segment goes out only when it carries everything queued and no
    // other short segment is unacknowledged (Minshall's refinement, as in
    // Linux: the tail of a bulk write is not held for an RTT), or Nagle is
    // off; or when it is at least half the largest window the peer offered.
    bool all_queued = len == avail;
    bool small_in_flight = snd_.una < last_small_end_;
    bool idle = flight == 0 || !small_in_flight || tun_.nodelay;
    bool half_window = snd_.max_wnd > 0 && len >= snd_.max_wnd / 2;
    if (!((all_queued && idle) || half_window || flight == 0)) return false;
  }
  std::span<const std::uint8_t> payload = payload_at(offset, len);
  // A new FIN rides along only if the peer's window has room for it too
  // (Linux's tcp_snd_wnd_test); otherwise it waits, probed like data. One
  // sent before goes again with its data, as Linux resends the head.
  bool fin_fits = len < wnd_room || seq_before_max(snd_.nxt + static_cast<std::uint32_t>(len));
  bool fin = snd_.fin_queued && offset + len == snd_buf_.size() && fin_fits;
  std::uint8_t flags = kAck;
  if (len == avail) flags |= kPsh;
  if (fin) flags |= kFin;
  SeqNum seq = snd_.nxt;
  emit(flags, seq, payload, false);
  if (len < mss) last_small_end_ = seq_max(last_small_end_, seq + static_cast<std::uint32_t>(len));
  if (!retransmission) {
    stats_.bytes_sent += len;
    if (!timed_seq_) {
      timed_seq_ = seq;
      timed_at_ = now;
    }
  } else {
    stats_.bytes_retransmitted += len;
    high_rxt_ = seq_max(high_rxt_, seq + static_cast<std::uint32_t>(len));
    if (timed_seq_ && seq <= *timed_seq_) timed_seq_.reset();  // Karn's rule
  }
  snd_.nxt = seq + static_cast<std::uint32_t>(len);
  if (fin) {
    snd_.fin_sent = true;
    snd_.fin_seq = snd_.nxt;
    snd_.nxt += 1;
  }
  snd_.max = seq_max(snd_.max, snd_.nxt);
  ack_pending_ = false;
  arm_retransmit(now);
  if (!retransmission) arm_loss_probe(now);
  return true;
}

void Connection::output(Instant now) {
  now_ = now;
  switch (state_) {
    case TcpState::Closed:
      return;
    case TcpState::TimeWait:
      if (ack_pending_) send_ack_now();
      return;
    case TcpState::SynSent:
      if (snd_.nxt == snd_.iss) {
        if (syn_retransmits_ == 0) timed_at_ = now;
        emit(kSyn, snd_.iss, {}, true);
        snd_.nxt = snd_.iss + 1;
        snd_.max = seq_max(snd_.max, snd_.nxt);
      }
      return;
    case TcpState::SynReceived:
      if (snd_.nxt == snd_.iss) {
        emit(kSyn | kAck, snd_.iss, {}, true);
        snd_.nxt = snd_.iss + 1;
        snd_.max = seq_max(snd_.max, snd_.nxt);
        ack_pending_ = false;
      } else if (ack_pending_) {
        send_ack_now();
      }
      return;
    default:
      break;
  }
  bool sent = false;
  while (send_recovery_segment(now))
    sent = true;
  while (send_data_segment(now))
    sent = true;
  // A FIN with no data left to carry it (RFC 9293 §3.10.4), if the peer's
  // window has room for its sequence number: a FIN pushed past a zero
  // window would be refused and retransmitted until the retry budget ran
  // out, while the peer is alive and answering. It waits behind the
  // persist timer's probes instead, as data does.
  bool fin_due = snd_.fin_queued && !snd_.fin_sent && snd_.nxt == send_buffer_end();
  if (fin_due && in_flight() >= snd_.wnd && !seq_before_max(snd_.nxt)) {
    arm_persist(now);
    fin_due = false;
  }
  if (fin_due) {
    SeqNum seq = snd_.nxt;
    emit(kFin | kAck, seq, {}, false);
    snd_.fin_sent = true;
    snd_.fin_seq = seq;
    snd_.nxt = seq + 1;
    snd_.max = seq_max(snd_.max, snd_.nxt);
    ack_pending_ = false;
    arm_retransmit(now);
    sent = true;
  }
  (void)sent;
  if (!ack_pending_) return;
  if (ack_now_) {
    send_ack_now();
  } else if (timers_.delack == kNever) {
    // RFC 9293 §3.8.6.3: delay, but well under 0.5 s. Linux starts at 40 ms
    // and never waits past 200 ms nor (much) past one RTT.
    Duration d = cfg_->delack_min;
    if (rtt_.has_sample()) d = std::clamp(rtt_.srtt(), cfg_->delack_min, cfg_->delack_max);
    timers_.delack = now + std::min(d, cfg_->delack_max);
  }
}

}  // namespace synack::tcp
