#include "tcp/rack.hpp"

#include <algorithm>

#include "tcp/ts_clock.hpp"

namespace synack::tcp {

namespace {

// RFC 8985 §6.2 RACK_sent_after: later in time, or at the same time and
// higher in sequence.
bool sent_after(Instant t1, SeqNum seq1, Instant t2, SeqNum seq2) {
  return t1 > t2 || (t1 == t2 && seq2 < seq1);
}

// RFC 8985 §6.2 step 4: a D-SACK widens the window by min_RTT / 4 per round;
// sixteen D-SACK-free recoveries reset it.
constexpr int kReoWndPersist = 16;

}  // namespace

void Rack::on_transmit(SeqNum start, SeqNum end, Instant now) {
  if (segs_.on_transmit(start, end, now) && (!rxt_high_ || *rxt_high_ < end)) rxt_high_ = end;
}

Rack::Verdict Rack::on_ack(Instant now, const Ack& ack, const SackScoreboard& sb,
                           const Context& ctx) {
  bool delivered = false;
  // Step 1: the segments this ACK delivered, cumulatively...
  while (!segs_.empty() && segs_.front().end <= ack.una) {
    const SentSegment& f = segs_.front();
    if (f.sacked) {
      --sacked_count_;
    } else {
      deliver(now, f, ack);
      delivered = true;
    }
    segs_.pop_front();
  }
  if (!segs_.empty()) segs_.trim_front(ack.una);
  if (rxt_high_ && *rxt_high_ <= ack.una) rxt_high_.reset();
  // ... and selectively: records the scoreboard now covers whole.
  if (ack.lowest_new) {
    SeqNum high = sb.high_sacked(ack.una);
    for (std::size_t i = segs_.find(*ack.lowest_new); i < segs_.size(); ++i) {
      SentSegment& s = segs_[i];
      if (!(s.start < high)) break;
      if (s.sacked || sb.skip_sacked(s.start) < s.end) continue;
      segs_.mark_sacked(s);
      ++sacked_count_;
      deliver(now, s, ack);
      delivered = true;
    }
  }
  if (rto_recovery_end_ && *rto_recovery_end_ <= ack.una) {
    rto_recovery_end_.reset();
    on_recovery_exit();
  }
  update_reo_wnd(ack, ctx);
  // Step 5: only news can make a segment lost before its timer says so.
  if (!delivered) return {};
  return detect_loss(now);
}

void Rack::deliver(Instant now, const SentSegment& s, const Ack& ack) {
  // Step 3 (RACK_detect_reordering): delivered below the highest delivered
  // without having been resent means the network reordered it.
  if (!have_fack_ || fack_ < s.end) {
    fack_ = s.end;
    have_fack_ = true;
  } else if (s.end < fack_ && !s.retransmitted) {
    reordering_seen_ = true;
  }
  // Step 2 (RACK_update): a retransmitted segment whose ACK echoes an older
  // TSval, or comes back faster than any RTT, was delivered by its original.
  Duration rtt = now - s.xmit_ts;
  if (s.retransmitted) {
    if (ack.tsecr && *ack.tsecr != 0 && ts_before(*ack.tsecr, ts_clock(s.xmit_ts, ack.ts_offset)))
      return;
    if (min_rtt_ && rtt < *min_rtt_) return;
  }
  if (!min_rtt_ || rtt < *min_rtt_) min_rtt_ = rtt;
  if (!have_rack_ || sent_after(s.xmit_ts, s.end, xmit_ts_, end_seq_)) {
    have_rack_ = true;
    xmit_ts_ = s.xmit_ts;
    end_seq_ = s.end;
    rtt_ = rtt;
  }
}

void Rack::update_reo_wnd(const Ack& ack, const Context& ctx) {
  // RFC 8985 §6.2 step 4.
  if (dsack_round_ && *dsack_round_ <= ack.una) dsack_round_.reset();
  // A D-SACK says a retransmission was needless: the original was only late,
  // which is reordering (Linux's tcp_sacktag_one counts it so too).
  if (ack.dsack) reordering_seen_ = true;
  if (!dsack_round_ && ack.dsack) {
    dsack_round_ = ack.snd_nxt;
    reo_wnd_mult_ = std::min(reo_wnd_mult_ + 1, 255);
    reo_wnd_persist_ = kReoWndPersist;
  }
  bool recovering = ctx.in_recovery || rto_recovery_end_.has_value();
  if (!reordering_seen_ &&
      (recovering || sacked_count_ >= static_cast<std::uint32_t>(ctx.dupthresh))) {
    reo_wnd_ = Duration{0};
    return;
  }
  Duration base = min_rtt_.value_or(ctx.srtt);
  reo_wnd_ = std::min<Duration>(base * reo_wnd_mult_ / 4, ctx.srtt);
}

Rack::Verdict Rack::detect_loss(Instant now) {
  Verdict v;
  Duration timeout{0};
  if (!have_rack_) {
    v.timer = timeout;
    return v;
  }
  // Segments above both RACK.end_seq and every retransmission were sent
  // after the RACK segment: nothing to examine past them.
  SeqNum limit = rxt_high_ && end_seq_ < *rxt_high_ ? *rxt_high_ : end_seq_;
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    SentSegment& s = segs_[i];
    if (!(s.start < limit)) break;
    if (s.sacked || s.lost) continue;
    if (!sent_after(xmit_ts_, end_seq_, s.xmit_ts, s.end)) continue;
    Duration remaining = (s.xmit_ts + rtt_ + reo_wnd_) - now;
    if (remaining <= Duration{0}) {
      segs_.mark_lost(s);
      ++v.newly_lost;
    } else {
      timeout = std::max(timeout, remaining);
    }
  }
  v.timer = timeout;
  return v;
}

Rack::Verdict Rack::on_timeout(Instant now, const Context& ctx) {
  // §6.3: the window is recomputed as on an ACK that carried no news.
  Ack none;
  none.una = segs_.empty() ? SeqNum() : segs_.front().start;
  none.snd_nxt = segs_.end();
  if (!segs_.empty()) update_reo_wnd(none, ctx);
  return detect_loss(now);
}

void Rack::on_rto(Instant now, SeqNum snd_max) {
  // RFC 8985 §6.3 RACK_mark_losses_on_RTO: the first segment, and every one
  // whose time is up, is lost.
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    SentSegment& s = segs_[i];
    if (s.sacked) continue;
    if (i == 0 || (have_rack_ && s.xmit_ts + rtt_ + reo_wnd_ <= now)) segs_.mark_lost(s);
  }
  rto_recovery_end_ = snd_max;
}

void Rack::on_recovery_exit() {
  // §6.2 step 4: a recovery without D-SACK; after 16, back to min_RTT / 4.
  if (dsack_round_) return;
  if (--reo_wnd_persist_ <= 0) {
    reo_wnd_persist_ = 0;
    reo_wnd_mult_ = 1;
  }
}

void Rack::forget_losses() {
  for (std::size_t i = 0; i < segs_.size(); ++i)
    if (segs_[i].lost) segs_.unmark_lost(segs_[i]);
}

bool Rack::echo_predates_retransmission(SeqNum ack, std::uint32_t tsecr,
                                        std::uint32_t ts_offset) const {
  for (std::size_t i = 0; i < segs_.size() && segs_[i].start < ack; ++i) {
    const SentSegment& s = segs_[i];
    if (s.retransmitted && ts_before(tsecr, ts_clock(s.xmit_ts, ts_offset))) return true;
  }
  return false;
}

std::optional<SeqRange> Rack::next_lost(SeqNum limit, std::uint32_t max_len) const {
  if (segs_.lost_bytes() == 0) return std::nullopt;
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    const SentSegment& s = segs_[i];
    if (!(s.start < limit)) break;
    if (!s.lost) continue;
    // Join the following lost records into one segment, up to max_len.
    SeqRange r{s.start, s.end};
    for (std::size_t j = i + 1; j < segs_.size(); ++j) {
      const SentSegment& n = segs_[j];
      if (!n.lost || !(n.start < limit) || static_cast<std::uint32_t>(n.end - r.start) > max_len)
        break;
      r.end = n.end;
    }
    if (r.len() > max_len) r.end = r.start + max_len;
    if (limit < r.end) r.end = limit;
    return r;
  }
  return std::nullopt;
}

}  // namespace synack::tcp
