// Loss recovery without a timeout: fast retransmit on duplicate ACKs, then
// SACK-based recovery (RFC 6675) when both sides allow SACK, NewReno
// (RFC 6582) when they do not. The window sizes come from CongestionControl.
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/ts_clock.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

void Connection::remember_for_undo() {
  if (!ts_ok_) return;
  undo_tsval_ = ts_clock(now_, ts_offset_);
  undo_cwnd_ = cc_.cwnd;
  undo_ssthresh_ = cc_.ssthresh;
}

bool Connection::spurious_retransmission(const wire::TcpRepr& seg) {
  // RFC 3522 §3.2: the first ACK for the retransmitted data echoes a TSval
  // older than the retransmission's, so the original arrived and the loss
  // was reordering or a late ACK.
  if (!undo_tsval_ || !seg.options.timestamps) return false;
  std::uint32_t echoed = seg.options.timestamps->tsecr;
  bool spurious = echoed != 0 && ts_before(echoed, *undo_tsval_);
  undo_tsval_.reset();
  if (!spurious) return false;
  // RFC 4015 §3.1: restore the window as it was.
  cc_.cwnd = std::max(cc_.cwnd, undo_cwnd_);
  cc_.ssthresh = std::max(cc_.ssthresh, undo_ssthresh_);
  in_recovery_ = false;
  probe_marked_lost_ = false;
  rack_.forget_losses();
  ++stats_.spurious_retransmits;
  return true;
}

void Connection::on_new_ack(Instant now, std::uint32_t acked) {
  dupacks_ = 0;
  if (in_recovery_) {
    if (recover_ <= snd_.una) {
      // RFC 6675 §5 / RFC 6582 §3.2 step 3: a full acknowledgment ends recovery.
      in_recovery_ = false;
      probe_marked_lost_ = false;
      if (rack_enabled()) rack_.on_recovery_exit();
      if (!sack_ok_) {
        std::uint32_t flight = static_cast<std::uint32_t>(snd_.max - snd_.una);
        cc_.cwnd = std::min(cc_.ssthresh, std::max<std::uint32_t>(flight, snd_.mss) + snd_.mss);
      } else {
        cc_.cwnd = cc_.ssthresh;
      }
      return;
    }
    if (!sack_ok_) {
      // RFC 6582 §3.2 step 4, partial acknowledgment: the next hole is lost
      // too. Retransmit it, deflate the window by what was acknowledged and
      // add back one segment if that was at least a segment.
      retransmit_segment(now, snd_.una, snd_.mss);
      cc_.cwnd = cc_.cwnd > acked ? cc_.cwnd - acked : 0;
      if (acked >= snd_.mss) cc_.cwnd += snd_.mss;
      cc_.cwnd = std::max<std::uint32_t>(cc_.cwnd, snd_.mss);
    }
    return;
  }
  // RFC 7661's idea: grow the window only while it is what limits us, so an
  // application-limited sender does not build a window it never tested.
  std::uint32_t flight_before = static_cast<std::uint32_t>(snd_.max - snd_.una) + acked;
  if (flight_before * 2 >= cc_.cwnd) cc_.on_ack(now, acked, rtt_.srtt());
}

void Connection::on_duplicate_ack(Instant now) {
  ++dupacks_;
  if (in_recovery_) {
    // RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 4): each further duplicate
    // means a segment left the network; inflate so new data can go.
    if (!sack_ok_) cc_.cwnd += snd_.mss;
    activity();
    return;
  }
  if (rack_enabled()) {
    // RACK decides losses by time (connection_rack.cpp), not by counting.
    if (dupacks_ <= 2) activity();  // RFC 3042 limited transmit
    return;
  }
  bool lost =
      dupacks_ >= reordering_ || (sack_ok_ && scoreboard_.is_lost(snd_.una, snd_.mss, reordering_));
  // RFC 8985 §6.2's rule for the loss probe's case: the probe left two SRTTs
  // after everything below it, so once it is SACKed the holes below it are
  // lost, not reordered, however few segments are SACKed above them.
  bool probe_sacked = sack_ok_ && tlp_end_ && tlp_data_end_ > snd_.una &&
                      scoreboard_.high_sacked(snd_.una) >= tlp_data_end_;
  if (!lost && probe_sacked) {
    lost = true;
    probe_marked_lost_ = true;
  }
  // RFC 6582 §3.2 step 2: not again for data sent before the last recovery.
  if (lost && recover_ <= snd_.una) {
    enter_recovery(now);
    return;
  }
  probe_marked_lost_ = false;
  if (dupacks_ <= 2) activity();  // RFC 3042: limited transmit may send a new segment
}

void Connection::enter_recovery(Instant now) {
  in_recovery_ = true;
  timers_.loss_probe = kNever;
  ++stats_.fast_retransmits;
  recover_ = snd_.max;
  high_rxt_ = snd_.una;
  std::uint32_t flight = static_cast<std::uint32_t>(snd_.max - snd_.una);
  remember_for_undo();
  cc_.on_loss(now, flight);  // cwnd = ssthresh (RFC 6675 §5 step 4.2)
  // With SACK, PRR (RFC 6937) then sets the window ACK by ACK.
  if (sack_ok_) prr_.start(flight);
  // RFC 6582 §3.2 step 2: NewReno inflates by the three segments that left.
  if (!sack_ok_) cc_.cwnd = cc_.ssthresh + 3 * snd_.mss;
  // RFC 6675 §5 step 4.3 / RFC 5681 §3.2 step 2: the segment at SND.UNA now
  // (with RACK: the first segment it found lost).
  std::optional<SeqRange> first = SeqRange{snd_.una, snd_.una + snd_.mss};
  if (rack_enabled()) first = rack_.next_lost(snd_.max, snd_.mss);
  if (first) retransmit_segment(now, first->start, first->len());
  activity();
}

void Connection::note_reordering(SeqNum high_before, SeqNum arrived_late) {
  // Like Linux's tcp_check_sack_reordering: the distance, in segments, by
  // which a segment was overtaken becomes the duplicate threshold.
  auto distance = static_cast<int>((high_before - arrived_late + snd_.mss - 1) / snd_.mss);
  distance = std::min(distance, 300);
  if (distance > reordering_) {
    reordering_ = distance;
    stats_.reordering = static_cast<std::uint64_t>(reordering_);
  }
}

std::uint32_t Connection::pipe() const {
  std::uint32_t outstanding = static_cast<std::uint32_t>(snd_.max - snd_.una);
  if (!in_recovery_ || !sack_ok_) return in_flight();
  // RFC 6675 §4 SetPipe: every un-SACKed byte not deemed lost, plus every
  // retransmitted byte. Lost holes below HighRxt were retransmitted, so they
  // count once; lost holes above it are not in the network.
  std::uint32_t sacked = scoreboard_.sacked_bytes();
  SeqNum from = seq_max(high_rxt_, snd_.una);
  // RACK marks lost segments itself and unmarks them when they are resent.
  std::uint32_t lost =
      rack_enabled() ? rack_.lost_bytes()
                     : scoreboard_.lost_bytes_between(from, snd_.max, snd_.mss, loss_threshold());
  std::uint32_t gone = sacked + lost;
  return outstanding > gone ? outstanding - gone : 0;
}

bool Connection::send_recovery_segment(Instant now) {
  if (rack_enabled()) return send_rack_retransmission(now);
  if (!in_recovery_ || !sack_ok_) return false;
  // RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, NextSeg rule 1.
  std::uint32_t p = pipe();
  if (cc_.cwnd < p + snd_.mss) return false;
  auto hole = scoreboard_.next_lost_hole(seq_max(high_rxt_, snd_.una), snd_.mss, loss_threshold());
  if (!hole) return false;  // rule 2 (new data) is the ordinary send path
  return retransmit_segment(now, hole->start, hole->len());
}

bool Connection::retransmit_segment(Instant now, SeqNum seq, std::uint32_t max_len) {
  if (seq < snd_buf_seq_) return false;
  std::size_t offset = static_cast<std::size_t>(seq - snd_buf_seq_);
  std::size_t avail = offset < snd_buf_.size() ? snd_buf_.size() - offset : 0;
  std::size_t len = std::min<std::size_t>({avail, data_mss(), max_len});
  bool fin = snd_.fin_sent && offset + len == snd_buf_.size() && seq + len == snd_.fin_seq;
  if (len == 0 && !fin) return false;
  std::span<const std::uint8_t> payload = payload_at(offset, len);
  std::uint8_t flags = kAck;
  if (len == avail) flags |= kPsh;
  if (fin) flags |= kFin;
  emit(flags, seq, payload, false);
  stats_.bytes_retransmitted += len;
  if (timed_seq_ && seq <= *timed_seq_) timed_seq_.reset();  // Karn's rule
  high_rxt_ = seq_max(high_rxt_, seq + static_cast<std::uint32_t>(len + (fin ? 1 : 0)));
  arm_retransmit(now);
  return true;
}

}  // namespace synack::tcp
