// Tail loss probe (RFC 8985 §7). When the last segments of a flight are lost
// no duplicate ACKs come back, and without a probe only the RTO (at least
// 200 ms, often far more than the RTT) would repair them. Two SRTTs after the
// last send or ACK, one segment is sent: new data if the windows allow, else
// the last segment again. Its ACK (with SACK) either shows all was well or,
// the probe having been sent after everything below it, lets RACK mark the
// holes lost (with RFC 6675's DupThresh, TcpConfig::loss_detection, a SACKed
// probe marks them lost itself); if the probe itself repaired a loss, the
// window is cut as for any loss (§7.4).
#include <algorithm>

#include "tcp/connection.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

void Connection::arm_loss_probe(Instant now) {
  timers_.loss_probe = kNever;
  // §7.2: SACK negotiated, data outstanding, no recovery or RTO backoff
  // under way, no probe outstanding, and an RTT to scale it by.
  if (!cfg_->loss_probe || !sack_ok_ || in_recovery_ || backoff_ > 0 || tlp_end_) return;
  // Any state with data or a FIN in flight: a closing sender's tail is the
  // typical tail.
  if (!is_synchronized(state_) || state_ == TcpState::TimeWait) return;
  if (snd_.una == snd_.max || !rtt_.has_sample()) return;
  // §7.2: not while segments are SACKed; RACK (its timer) owns that case.
  if (rack_enabled() && !scoreboard_.empty()) return;
  Duration pto = 2 * rtt_.srtt();
  // One segment out: the peer may hold its ACK for the delayed-ACK
  // maximum (WCDelAckT), so wait for that as well.
  if (snd_.max - snd_.una <= snd_.mss) pto += cfg_->delack_max;
  pto = std::max<Duration>(pto, std::chrono::milliseconds(10));  // as Linux's floor
  // §7.2: PTO = min(PTO, RTO). When the timeout would come first the probe
  // goes in its place (as in Linux): one segment, no window collapse and no
  // backoff, with the RTO running again from the probe.
  timers_.loss_probe = earliest(now + pto, timers_.retransmit);
}

void Connection::on_loss_probe_timeout(Instant now) {
  if (!sack_ok_ || in_recovery_ || backoff_ > 0 || tlp_end_ || snd_.una == snd_.max) return;
  if (!is_synchronized(state_) || state_ == TcpState::TimeWait) return;
  if (rack_enabled() && !scoreboard_.empty()) return;
  // §7.3: new data if there is some and the peer's window has room for a
  // full segment of it (or all of it). send_data_segment lets it past the
  // congestion window and Nagle, as Linux's tcp_send_loss_probe does: a
  // probe held back for either would become a retransmission that tells
  // the sender less.
  std::size_t sent_of_buf = static_cast<std::size_t>(snd_.max - snd_buf_seq_);
  std::size_t queued =
      snd_.fin_sent || sent_of_buf >= snd_buf_.size() ? 0 : snd_buf_.size() - sent_of_buf;
  std::uint32_t flight = in_flight();
  std::uint32_t wnd_room = snd_.wnd > flight ? snd_.wnd - flight : 0;
  bool new_data =
      snd_.nxt == snd_.max && queued > 0 && wnd_room >= std::min<std::size_t>(queued, snd_.mss);
  bool sent = false;
  if (new_data) {
    probe_allowance_ = snd_.mss;  // past the congestion window, once
    sent = send_data_segment(now);
    probe_allowance_ = 0;
    tlp_data_end_ = snd_.fin_sent && snd_.nxt == snd_.fin_seq + 1 ? snd_.fin_seq : snd_.nxt;
  }
  tlp_retransmitted_ = !sent;
  if (!sent) {
    // The last segment again (with the FIN, if that is last).
    SeqNum end = snd_.fin_sent ? snd_.fin_seq : snd_.max;
    std::uint32_t len =
        std::min<std::uint32_t>(data_mss(), static_cast<std::uint32_t>(end - snd_.una));
    if (len == 0 && !snd_.fin_sent) return;
    // Never what the receiver has SACKed (possible only with DupThresh
    // recovery, which probes with SACKed segments): it would tell nothing.
    if (len > 0 && scoreboard_.is_sacked(end - 1)) return;
    sent = retransmit_segment(now, end - len, len);
    if (!sent) return;
    tlp_data_end_ = end;
  }
  ++stats_.loss_probes;
  tlp_end_ = snd_.max;
  timers_.loss_probe = kNever;  // one probe per episode
  // §7.3: the RTO now runs from the probe.
  timers_.retransmit = kNever;
  arm_retransmit(now);
}

void Connection::on_loss_probe_ack(Instant now, SeqNum ack, bool dsack, bool progress) {
  // §7.4.2, as Linux's tcp_process_tlp_ack.
  if (!tlp_end_ || ack < *tlp_end_) return;
  if (!tlp_retransmitted_ || dsack) {
    tlp_end_.reset();  // new data, or the original arrived (D-SACK): no loss
    return;
  }
  if (ack == *tlp_end_) {
    // A pure duplicate: original and probe both arrived. Otherwise wait for
    // an ACK past the probe, so a D-SACK still on its way is not missed.
    if (!progress) tlp_end_.reset();
    return;
  }
  tlp_end_.reset();
  if (in_recovery_) return;  // the window was already cut for this loss
  // The probe repaired a lost segment: respond as to any loss, once.
  ++stats_.loss_probe_recoveries;
  cc_.on_loss(now, static_cast<std::uint32_t>(snd_.max - snd_.una));
}

}  // namespace synack::tcp
