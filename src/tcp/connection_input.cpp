// RFC 9293 §3.10.7 "SEGMENT ARRIVES", for a connection that exists (SYN-SENT
// and every later state; LISTEN is the Listener's, TIME-WAIT the mini-socket's).
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/ts_clock.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

void Connection::on_segment(Instant now, const wire::TcpRepr& in) {
  now_ = now;
  ++stats_.segments_received;
  if (state_ == TcpState::Closed || state_ == TcpState::TimeWait) return;
  if (state_ == TcpState::SynSent) {
    on_segment_syn_sent(now, in);
    return;
  }

  wire::TcpRepr seg = in;
  // Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN-ACK repeats
  // the SYN we already acknowledged. Like Linux, treat it as the ACK it also
  // is instead of challenging it.
  if (state_ == TcpState::SynReceived && seg.has(kSyn) && seg.has(kAck) && seg.payload.empty() &&
      seg.seq + 1 == rcv_.nxt && seg.ack == snd_.nxt) {
    seg.flags &= static_cast<std::uint8_t>(~kSyn);
    seg.seq = rcv_.nxt;
  }

  // RFC 7323 §5.3 R1: PAWS runs before the sequence number check.
  if (paws_reject(now, seg)) return;

  // First: sequence number acceptability (§3.10.7.4).
  if (!segment_acceptable(seg)) {
    // RFC 2883 §4.1.1: an old duplicate's bytes go in a D-SACK block.
    SeqNum end = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
    if (!seg.payload.empty() && end <= rcv_.nxt) {
      if (sack_ok_) dsack_ = SeqRange{seg.seq, end};
      // The sender is retransmitting: quick ACKs again, as Linux's
      // tcp_send_dupack.
      quickack_ = std::max(quickack_, kQuickAcks);
    }
    // An out-of-window SYN is a challenge too (Linux's syn_challenge): it
    // counts against the host's budget.
    if (seg.has(kSyn)) {
      send_challenge_ack(seg);
    } else if (!seg.has(kRst)) {
      send_oow_ack(seg);
    }
    return;
  }
  note_received_segment(now);

  // Second: RST, validated per RFC 5961 §3.2.
  if (seg.has(kRst)) {
    process_rst(seg);
    return;
  }

  // Fourth: a SYN in a synchronized state (or SYN-RECEIVED of an active open)
  // gets a challenge ACK (RFC 5961 §4.2) and is dropped.
  if (seg.has(kSyn)) {
    send_challenge_ack(seg);
    return;
  }

  // Fifth: the ACK field.
  if (!seg.has(kAck)) return;
  if (!ack_acceptable(seg)) return;
  // RFC 7323 §4.3 and §5.3 R3: remember the peer's TSval only once both the
  // sequence number and the ACK are acceptable (as Linux's tcp_ack with
  // FLAG_UPDATE_TS_RECENT), or one forged segment acking unsent data with a
  // far-future TSval would make every later valid segment fail PAWS.
  update_ts_recent(now, seg);
  if (!process_ack(now, seg)) return;
  if (state_ == TcpState::Closed || state_ == TcpState::TimeWait) return;

  // Seventh: segment text.
  if (!seg.payload.empty()) {
    process_text(seg);
    if (state_ == TcpState::Closed) return;
  }

  // Eighth: FIN. It counts only once every byte before it has arrived;
  // otherwise it is remembered until the gap fills.
  if (seg.has(kFin)) {
    SeqNum fin_seq = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
    if (fin_seq == rcv_.nxt) {
      process_fin(fin_seq);
    } else if (rcv_.nxt < fin_seq && !rcv_.fin_received) {
      rcv_.fin_pending = true;
      rcv_.fin_seq = fin_seq;
      schedule_ack(true);
    } else if (rcv_.fin_received) {
      schedule_ack(true);  // a retransmitted FIN: ACK it again
    }
  }
  if (ack_pending_) activity();
}

void Connection::on_segment_syn_sent(Instant now, const wire::TcpRepr& seg) {
  // RFC 9293 §3.10.7.3, first: check the ACK.
  bool ack_ok = false;
  if (seg.has(kAck)) {
    if (seg.ack <= snd_.iss || seg.ack > snd_.max) {
      // An old duplicate SYN-ACK (§3.5, Figure 9): reset it, unless it is a
      // reset itself.
      if (!seg.has(kRst)) send_rst(seg.ack);
      return;
    }
    ack_ok = snd_.una < seg.ack && seg.ack <= snd_.max;
  }
  // Second: RST. Valid only if it acknowledges our SYN (RFC 5961 §3.2).
  if (seg.has(kRst)) {
    if (ack_ok) enter_closed(ConnError::Refused, "RST: connection refused");
    return;
  }
  // Fourth: SYN.
  if (!seg.has(kSyn)) return;
  rcv_.irs = seg.seq;
  rcv_.nxt = seg.seq + 1;
  std::uint16_t peer_mss = seg.options.mss.value_or(cfg_->default_peer_mss);
  snd_.mss = std::max<std::uint16_t>(64, std::min(peer_mss, our_mss_));
  // RFC 7323 §2.2: scaling only when both SYNs carried the option.
  wscale_ok_ = cfg_->window_scaling && seg.options.window_scale.has_value();
  snd_.wscale = wscale_ok_ ? std::min<std::uint8_t>(*seg.options.window_scale, 14) : 0;
  if (!wscale_ok_) rcv_.wscale = 0;
  sack_ok_ = cfg_->sack && seg.options.sack_permitted;
  ts_ok_ = cfg_->timestamps && seg.options.timestamps.has_value();
  if (ts_ok_) {
    ts_recent_ = seg.options.timestamps->tsval;
    ts_recent_stamp_ = now;
  }
  last_ack_sent_ = rcv_.nxt;
  // RFC 7323 §3.2 / RFC 6691: the timestamp option's 12 bytes come out of
  // every segment's payload.
  if (ts_ok_) snd_.mss = static_cast<std::uint16_t>(std::max(snd_.mss - 12, 64));
  // The window in a SYN is never scaled (RFC 7323 §2.2).
  snd_.wnd = seg.window;
  snd_.max_wnd = seg.window;
  snd_.wl1 = seg.seq;
  snd_.wl2 = seg.ack;
  cc_.init(snd_.mss);  // RFC 6928
  quickack_ = kQuickAcks;
  recover_ = snd_.iss;
  high_rxt_ = snd_.iss;
  // Our SYN offered handshake_window() unscaled (RFC 7323 §2.2), kept in
  // syn_wnd since connect.
  rcv_.last_adv_edge = rcv_.nxt + rcv_.syn_wnd;

  if (ack_ok) {
    last_ack_at_ = now;
    snd_.una = seg.ack;
    snd_.nxt = seq_max(snd_.nxt, seg.ack);
    if (syn_retransmits_ == 0) {
      rtt_.sample(now - timed_at_);
    } else {
      rtt_.handshake_without_sample();  // RFC 6298 §5.7
    }
    timed_seq_.reset();
    timers_.retransmit = kNever;
    backoff_ = 0;
    set_state(TcpState::Established, "SYN-ACK received");
    if (snd_.fin_queued) set_state(TcpState::FinWait1, "queued close");
    arm_keepalive(now);
    schedule_ack(true);
    // Data or a FIN may ride on the SYN-ACK.
    if (!seg.payload.empty()) {
      wire::TcpRepr rest = seg;
      rest.seq = seg.seq + 1;
      process_text(rest);
    }
    if (seg.has(kFin) && state_ != TcpState::Closed) {
      SeqNum fin_seq = seg.seq + 1 + static_cast<std::uint32_t>(seg.payload.size());
      if (fin_seq == rcv_.nxt) process_fin(fin_seq);
    }
    activity();
    return;
  }
  // Simultaneous open: SYN without ACK. Answer SYN,ACK from SYN-RECEIVED;
  // output() resends our SYN (seq = ISS) with the ACK bit.
  snd_.nxt = snd_.iss;
  timers_.retransmit = now + cfg_->rto_initial;
  syn_retransmits_ = 0;
  set_state(TcpState::SynReceived, "simultaneous open");
  activity();
}

bool Connection::segment_acceptable(const wire::TcpRepr& seg) const {
  // RFC 9293 §3.10.7.4, the four cases of the acceptability test.
  std::uint32_t len = seg.seq_len();
  std::int32_t w = rcv_.last_adv_edge - rcv_.nxt;
  std::uint32_t wnd = w > 0 ? static_cast<std::uint32_t>(w) : 0;
  if (len == 0) {
    if (wnd == 0) return seg.seq == rcv_.nxt;
    return seg.seq.in_range(rcv_.nxt, rcv_.nxt + wnd);
  }
  // A zero window accepts no data, but "special allowance should be made to
  // accept valid ACKs, URGs, and RSTs": like Linux's tcp_sequence, a segment
  // starting at RCV.NXT passes, so its ACK and RST are processed, its text is
  // trimmed to nothing, and a FIN right at RCV.NXT is taken (ACK RCV.NXT+1
  // with window 0; the reader sees EOF once it has read what it holds).
  if (wnd == 0) return seg.seq == rcv_.nxt;
  SeqNum last = seg.seq + (len - 1);
  return seg.seq.in_range(rcv_.nxt, rcv_.nxt + wnd) || last.in_range(rcv_.nxt, rcv_.nxt + wnd);
}

void Connection::process_rst(const wire::TcpRepr& seg) {
  // RFC 5961 §3.2: only an exact match resets; any other in-window RST gets a
  // challenge ACK.
  if (seg.seq != rcv_.nxt) {
    send_challenge_ack(seg);
    return;
  }
  switch (state_) {
    case TcpState::SynReceived:
      // Reached from an active open (simultaneous open): refused.
      enter_closed(ConnError::Refused, "RST in SYN-RECEIVED");
      break;
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
      snd_buf_.discard(snd_buf_.size());
      enter_closed(ConnError::Reset, "RST: connection reset");
      break;
    default:  // CLOSING, LAST-ACK
      enter_closed(ConnError::None, "RST");
      break;
  }
}

bool Connection::ack_acceptable(const wire::TcpRepr& seg) {
  if (state_ == TcpState::SynReceived) {
    // RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>.
    if (snd_.una < seg.ack && seg.ack <= snd_.max) return true;
    send_rst(seg.ack);
    return false;
  }
  // RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT
  // (SND.NXT here is the highest sent, since an RTO rewinds nxt); otherwise
  // ACK (rate limited, §7) and drop.
  if (seg.ack > snd_.max || seg.ack < snd_.una - std::max<std::uint32_t>(snd_.max_wnd, 1)) {
    send_challenge_ack(seg);
    return false;
  }
  return true;
}

bool Connection::process_ack(Instant now, const wire::TcpRepr& seg) {
  probes_out_ = 0;  // the peer answers: it is alive (Linux's tcp_ack)
  last_ack_at_ = now;
  if (state_ == TcpState::SynReceived) {
    snd_.una = seg.ack;
    snd_.nxt = seq_max(snd_.nxt, seg.ack);
    snd_.wnd = static_cast<std::uint32_t>(seg.window) << snd_.wscale;
    snd_.max_wnd = std::max(snd_.max_wnd, snd_.wnd);
    snd_.wl1 = seg.seq;
    snd_.wl2 = seg.ack;
    timers_.retransmit = kNever;
    backoff_ = 0;
    if (!rtt_.has_sample()) rtt_.handshake_without_sample();  // RFC 6298 §5.7
    arm_keepalive(now);
    set_state(TcpState::Established, "ACK of SYN");
    if (snd_.fin_queued) set_state(TcpState::FinWait1, "queued close");
    activity();
    return true;
  }

  // SACK blocks first (RFC 6675 §5): they describe the receiver's queue as
  // this ACK left it.
  std::uint32_t newly_sacked = 0;
  std::uint32_t sacked_before = scoreboard_.sacked_bytes();
  std::uint32_t acked = 0;
  bool dsack = false;
  std::optional<SeqNum> lowest_new;
  SeqNum high_sacked_before = scoreboard_.high_sacked(snd_.una);
  if (sack_ok_ && seg.options.sack_count > 0) {
    auto u = scoreboard_.update(seq_max(snd_.una, seg.ack), snd_.max,
                                std::span(seg.options.sack.data(), seg.options.sack_count));
    newly_sacked = u.newly_sacked;
    stats_.bytes_sacked += newly_sacked;
    if (u.dsack) ++stats_.dsacks_received;
    dsack = u.dsack;
    lowest_new = u.lowest_new;
    // Bytes below the highest SACKed one that arrive without having been
    // retransmitted were reordered, not lost.
    if (u.lowest_new && *u.lowest_new < high_sacked_before && high_rxt_ <= *u.lowest_new)
      note_reordering(high_sacked_before, *u.lowest_new);
  }
  // The same when a cumulative ACK fills a hole we never retransmitted.
  if (sack_ok_ && snd_.una < seg.ack && snd_.una < high_sacked_before && high_rxt_ <= snd_.una)
    note_reordering(high_sacked_before, snd_.una);

  if (snd_.una < seg.ack) {
    acked = static_cast<std::uint32_t>(seg.ack - snd_.una);
    take_rtt_sample(now, seg);
    snd_.una = seg.ack;
    if (snd_.nxt < snd_.una) snd_.nxt = snd_.una;
    std::size_t data_acked = 0;
    if (snd_buf_seq_ < seg.ack) {
      data_acked = snd_buf_.discard(static_cast<std::size_t>(seg.ack - snd_buf_seq_));
      snd_buf_seq_ += static_cast<std::uint32_t>(data_acked);
      snd_buf_.release_if_empty();
    }
    // An ACK one past the data acknowledges our FIN (RFC 9293 §3.10.7.4,
    // FIN-WAIT-1, CLOSING, LAST-ACK), even when a timeout rewound snd_.nxt
    // and cleared fin_sent to send the FIN again: the first copy arrived.
    if (snd_.fin_queued && !snd_.fin_sent && snd_.una == send_buffer_end() + 1) {
      snd_.fin_sent = true;
      snd_.fin_seq = send_buffer_end();
    }
    stats_.bytes_acked += data_acked;
    scoreboard_.advance(snd_.una);
    bool undone = spurious_retransmission(seg);
    backoff_ = 0;
    persist_backoff_ = 0;
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart.
    timers_.retransmit = (snd_.una == snd_.max) ? kNever : now + rtt_.rto();
    if (!undone) on_new_ack(now, acked);
    if (data_acked > 0 || undone) activity();  // send space opened
    update_window(seg);
  } else {
    bool window_changed = update_window(seg);
    // RFC 5681 §2: a duplicate ACK carries no data, no SYN or FIN, does not
    // move SND.UNA or the window while data is outstanding; with SACK
    // (RFC 6675 §2) it is one that SACKs new data.
    bool outstanding = snd_.una != snd_.max;
    bool dup = seg.ack == snd_.una && outstanding && seg.payload.empty() && !seg.has(kFin) &&
               (sack_ok_ ? newly_sacked > 0 : !window_changed);
    if (dup) on_duplicate_ack(now);
  }
  if (rack_enabled()) rack_on_ack(now, seg, lowest_new, dsack);
  if (in_recovery_ && sack_ok_) {
    // RFC 6937 §3.1: DeliveredData = change in SND.UNA + change in SACKed
    // bytes (negative when the cumulative ACK covers SACKed data).
    std::int64_t delivered = static_cast<std::int64_t>(acked) + scoreboard_.sacked_bytes() -
                             static_cast<std::int64_t>(sacked_before);
    cc_.cwnd = prr_.on_ack(static_cast<std::uint32_t>(std::max<std::int64_t>(delivered, 0)), pipe(),
                           cc_.ssthresh, snd_.mss);
  }
  on_loss_probe_ack(now, seg.ack, dsack, acked > 0 || newly_sacked > 0);
  arm_loss_probe(now);

  bool fin_acked = snd_.fin_sent && snd_.una == snd_.fin_seq + 1;
  switch (state_) {
    case TcpState::FinWait1:
      if (fin_acked) {
        set_state(TcpState::FinWait2, "FIN acknowledged");
        if (user_closed_) timers_.fin_wait2 = now + cfg_->fin_timeout;
      }
      break;
    case TcpState::Closing:
      if (fin_acked) {
        set_state(TcpState::TimeWait, "FIN acknowledged");
        activity();  // the user sees closed(): wake wait_closed()
        return false;
      }
      break;
    case TcpState::LastAck:
      if (fin_acked) {
        enter_closed(ConnError::None, "FIN acknowledged");
        return false;
      }
      break;
    default:
      break;
  }
  return true;
}

bool Connection::update_window(const wire::TcpRepr& seg) {
  // RFC 9293 §3.10.7.4: update SND.WND only from segments newer than the last
  // update (SND.WL1, SND.WL2).
  bool changed = false;  // the window grew: an update, not a duplicate ACK (as Linux)
  if (snd_.wl1 < seg.seq || (snd_.wl1 == seg.seq && snd_.wl2 <= seg.ack)) {
    std::uint32_t wnd = static_cast<std::uint32_t>(seg.window) << snd_.wscale;
    bool opened = snd_.wnd == 0 && wnd > 0;
    changed = wnd > snd_.wnd;
    snd_.wnd = wnd;
    snd_.max_wnd = std::max(snd_.max_wnd, wnd);
    snd_.wl1 = seg.seq;
    snd_.wl2 = seg.ack;
    if (opened) {
      timers_.persist = kNever;
      persist_backoff_ = 0;
      activity();
    }
  }
  return changed;
}

void Connection::take_rtt_sample(Instant now, const wire::TcpRepr& seg) {
  if (timed_seq_ && *timed_seq_ < seg.ack) {
    rtt_.sample(now - timed_at_);
    timed_seq_.reset();
    return;
  }
  // RFC 7323 §4.1: with timestamps an ACK of new data gives a sample even
  // when the timed segment was retransmitted, since TSecr names the copy
  // that arrived. Millisecond resolution; 0 would mean "not echoed".
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->tsecr != 0) {
    std::uint32_t echoed = seg.options.timestamps->tsecr;
    // RFC 7323 §4.2 (C): when the ACKs of the copy that delivered the data
    // were lost, the echo still names that copy, and the time since then is
    // ACK loss, not the path's RTT. A few such samples drive the RTO to its
    // 120 s cap (issue 12: sim seeds 49038 and 72191). RACK's records tell
    // when a later retransmission elicited the ACK; Karn's rule then applies.
    if (rack_enabled() && rack_.echo_predates_retransmission(seg.ack, echoed, ts_offset_)) return;
    std::uint32_t ms = ts_clock(now, ts_offset_) - echoed;
    if (!ts_before(ts_clock(now, ts_offset_), echoed) && ms < 120000)
      rtt_.sample(std::chrono::milliseconds(std::max<std::uint32_t>(ms, 1)));
  }
}

bool Connection::paws_reject(Instant now, const wire::TcpRepr& seg) {
  if (!ts_ok_ || !seg.options.timestamps || seg.has(kRst)) return false;
  // RFC 7323 §5.5: a TS.Recent idle for more than 24 days is invalid.
  if (now - ts_recent_stamp_ > std::chrono::hours(24 * 24)) {
    ts_recent_ = seg.options.timestamps->tsval;
    ts_recent_stamp_ = now;
    return false;
  }
  if (!ts_before(seg.options.timestamps->tsval, ts_recent_)) return false;
  // RFC 7323 §5.3 R1: an old duplicate; acknowledge and drop it.
  ++stats_.paws_rejected;
  send_oow_ack(seg);
  return true;
}

void Connection::update_ts_recent(Instant now, const wire::TcpRepr& seg) {
  if (!ts_ok_ || !seg.options.timestamps) return;
  std::uint32_t tsval = seg.options.timestamps->tsval;
  // RFC 7323 §4.3 (2): SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent.
  if (!ts_before(tsval, ts_recent_) && seg.seq <= last_ack_sent_) {
    ts_recent_ = tsval;
    ts_recent_stamp_ = now;
  }
}

void Connection::process_text(const wire::TcpRepr& seg) {
  if (state_ != TcpState::Established && state_ != TcpState::FinWait1 &&
      state_ != TcpState::FinWait2)
    return;  // RFC 9293 §3.10.7.4 seventh: text after a FIN is ignored
  SeqNum start = seg.seq;
  std::span<const std::uint8_t> data = seg.payload;
  SeqNum seg_end = start + static_cast<std::uint32_t>(data.size());
  rcv_mss_ = std::max<std::uint32_t>(rcv_mss_, std::min<std::uint32_t>(data.size(), our_mss_));
  if (start < rcv_.nxt) {
    std::uint32_t skip = static_cast<std::uint32_t>(rcv_.nxt - start);
    // RFC 2883 §4.1: report the duplicate bytes in the next ACK.
    if (sack_ok_) dsack_ = SeqRange{start, skip >= data.size() ? seg_end : rcv_.nxt};
    if (skip >= data.size()) {
      // All duplicate: re-ACK at once, and (as Linux) go back to quick ACKs,
      // as the sender is evidently retransmitting.
      quickack_ = std::max(quickack_, kQuickAcks);
      schedule_ack(true);
      return;
    }
    data = data.subspan(skip);
    start = rcv_.nxt;
  }
  if (user_closed_) {
    // New data for a socket the user has closed: nobody will read it. Reset
    // like Linux does (RFC 1122 §4.2.2.13 / RFC 2525 §2.17): Linux answers the
    // segment itself (tcp_v4_send_reset), <SEQ=SEG.ACK><CTL=RST>, a number
    // the peer's window check accepts even while our FIN is unacknowledged.
    send_rst(seg.ack);
    enter_closed(ConnError::Aborted, "data after close");
    return;
  }
  // Accept only what fits in the advertised window.
  std::int32_t room = rcv_.last_adv_edge - start;
  if (room <= 0) {
    schedule_ack(true);
    return;
  }
  if (data.size() > static_cast<std::size_t>(room))
    data = data.first(static_cast<std::size_t>(room));
  std::size_t offset = static_cast<std::size_t>(start - rcv_.nxt);
  bool had_gap = !ooo_.empty();
  if (offset > 0) {
    // RFC 2883 §4.2: out-of-order bytes we already hold are a duplicate too.
    for (const auto& r : ooo_.ranges())
      if (sack_ok_ && r.start <= offset && offset + data.size() <= r.end)
        dsack_ = SeqRange{start, start + static_cast<std::uint32_t>(data.size())};
  }
  std::size_t written = rcv_buf_.write_at(offset, data);
  if (written < data.size()) {
    // In the window but past what the stack's buffer budget lets this ring
    // grow to (the window had been offered before the budget ran short; its
    // edge never moves back, RFC 9293 §3.8.6.2.2). Drop the rest and say at
    // once how much room there is; the peer sends it again (Linux answers
    // its TCPRcvQDrop the same way).
    ++stats_.receive_memory_drops;
    schedule_ack(true);
  }
  // In order with no gap (nearly always): ready at once; the assembler only
  // tracks out-of-order ranges, and is never touched (or allocated) here.
  const bool in_order = offset == 0 && !had_gap;
  if (written == 0 || (!in_order && !ooo_.add(offset, written))) {
    schedule_ack(true);
    return;
  }
  if (offset > 0) {
    // RFC 5681 §4.2: an out-of-order segment is acknowledged at once (a
    // duplicate ACK, with SACK blocks naming what arrived, RFC 2018 §4).
    ++stats_.out_of_order_segments;
    remember_sack_anchor(start);
    // One duplicate ACK per segment, not one per batch read from the
    // device: the sender counts them.
    if (seg.has(kFin)) {
      schedule_ack(true);
    } else {
      send_ack_now();
    }
    return;
  }
  std::size_t ready = in_order ? written : ooo_.take_front();
  if (ready > 0) {
    // Like Linux's tcp_event_data_recv: data after a silence longer than the
    // RTO means the sender is restarting from a small window (a timeout);
    // quick ACKs let it grow again without waiting on delayed ACKs.
    if (last_data_at_ && now_ - *last_data_at_ > rtt_.rto())
      quickack_ = std::max(quickack_, kQuickAcks);
    last_data_at_ = now_;
    rcv_buf_.commit(ready);
    rcv_.nxt += static_cast<std::uint32_t>(ready);
    stats_.bytes_received += ready;
    // RFC 5681 §4.2: a segment that fills a gap is acknowledged at once, and
    // so is every second full-sized segment; sent here, not at the end of a
    // batch, so the sender's ACK clock ticks as Linux's does.
    schedule_ack(had_gap);
    // When this fills the last hole before a remembered FIN, one ACK covers
    // both (RCV.NXT + 1, from process_fin), as Linux sends; not one for the
    // data and another for the FIN.
    bool fin_now = rcv_.fin_pending && rcv_.fin_seq == rcv_.nxt;
    if (ack_now_ && !seg.has(kFin) && !fin_now && quickack_ == 0) send_ack_now();
    activity();
    if (fin_now) {
      rcv_.fin_pending = false;
      // Completing the gap makes the remembered FIN current.
      process_fin(rcv_.fin_seq);
    }
  }
}

void Connection::process_fin(SeqNum fin_seq) {
  if (rcv_.fin_received) {
    schedule_ack(true);
    return;
  }
  rcv_.fin_received = true;
  rcv_.fin_pending = false;
  rcv_.nxt = fin_seq + 1;
  rcv_.last_adv_edge = seq_max(rcv_.last_adv_edge, rcv_.nxt);
  schedule_ack(true);
  bool our_fin_acked = snd_.fin_sent && snd_.una == snd_.fin_seq + 1;
  switch (state_) {
    case TcpState::SynReceived:
    case TcpState::Established:
      set_state(TcpState::CloseWait, "FIN received");
      break;
    case TcpState::FinWait1:
      if (our_fin_acked) {
        set_state(TcpState::TimeWait, "FIN received");
      } else {
        set_state(TcpState::Closing, "FIN received (simultaneous close)");
      }
      break;
    case TcpState::FinWait2:
      timers_.fin_wait2 = kNever;
      set_state(TcpState::TimeWait, "FIN received");
      break;
    default:
      break;
  }
  activity();
}

}  // namespace synack::tcp
