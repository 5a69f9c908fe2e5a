// What a receiver acknowledges and when: delayed ACKs (RFC 9293 §3.8.6.3,
// RFC 5681 §4.2, Linux's 40 ms minimum and 200 ms maximum with a quick-ACK
// start) and the SACK blocks (RFC 2018 §4) and D-SACK (RFC 2883) it reports.
#include <algorithm>

#include "tcp/connection.hpp"

namespace synack::tcp {

void Connection::schedule_ack(bool immediately) {
  ack_pending_ = true;
  // RFC 5681 §4.2: at least every second full-sized segment is acknowledged
  // at once; so are segments while the connection is young (quick-ACK).
  bool two_segments = rcv_.nxt - last_ack_sent_ >= static_cast<std::int32_t>(2 * rcv_mss_);
  if (immediately || quickack_ > 0 || two_segments || cfg_->delack_min <= Duration(0))
    ack_now_ = true;
}

bool Connection::oow_rate_limited(const wire::TcpRepr& seg, bool exempt_data) {
  // Linux's tcp_oow_rate_limited: a segment that occupies sequence space
  // (data or a FIN, and no SYN) is not part of an ACK loop, and its answer
  // drives the peer's recovery (a duplicate ACK, the ACK of a retransmitted
  // FIN), so it is always answered. Challenges get no such exemption.
  if (exempt_data && seg.seq_len() > 0 && !seg.has(wire::tcp_flags::kSyn)) return false;
  if (cfg_->invalid_ratelimit <= Duration(0)) return false;
  if (last_oow_ack_at_ != kNever && now_ - last_oow_ack_at_ < cfg_->invalid_ratelimit) {
    ++stats_.acks_rate_limited;
    return true;
  }
  last_oow_ack_at_ = now_;
  return false;
}

void Connection::send_oow_ack(const wire::TcpRepr& seg) {
  // RFC 9293 §3.10.7.4 first check (and RFC 7323 §5.3 R1): an unacceptable
  // segment is answered with an ACK, at most once per interval (RFC 5961 §7).
  if (!oow_rate_limited(seg, true)) send_ack_now();
}

void Connection::send_challenge_ack(const wire::TcpRepr& seg) {
  // RFC 5961 §3.2, §4.2, §5.2 with the §7 limits: per connection first, then
  // the host's budget, as Linux's tcp_send_challenge_ack.
  if (oow_rate_limited(seg, false)) return;
  if (!host_.allow_challenge_ack(now_)) {
    ++stats_.acks_rate_limited;
    return;
  }
  ++stats_.challenge_acks;
  send_ack_now();
}

void Connection::note_received_segment(Instant now) {
  keepalive_probes_sent_ = 0;
  if (tun_.keepalive && timers_.keepalive != kNever) timers_.keepalive = now + tun_.keepalive_time;
}

void Connection::remember_sack_anchor(SeqNum seq) {
  // RFC 2018 §4: the block holding the newest segment goes first, then the
  // most recently reported others.
  std::size_t n = sack_anchor_count_;
  std::size_t keep = std::min<std::size_t>(n, sack_anchors_.size() - 1);
  for (std::size_t i = keep; i > 0; --i)
    sack_anchors_[i] = sack_anchors_[i - 1];
  sack_anchors_[0] = seq;
  sack_anchor_count_ = static_cast<std::uint8_t>(keep + 1);
}

std::uint32_t Connection::sack_option_len() const {
  if (!sack_ok_) return 0;
  std::size_t blocks =
      (dsack_ ? 1 : 0) + std::min<std::size_t>(ooo_.ranges().size(), sack_anchor_count_);
  // 40 option bytes at most: 4 blocks, or 3 beside the timestamps.
  std::size_t fit = ((ts_ok_ ? 28 : 40) - 4) / 8;
  blocks = std::min({blocks, fit, wire::TcpOptions::kMaxSackBlocks});
  return blocks == 0 ? 0 : static_cast<std::uint32_t>(4 + 8 * blocks);
}

std::uint32_t Connection::data_mss() const {
  std::uint32_t sack = sack_option_len();
  return snd_.mss > sack + 64 ? snd_.mss - sack : 64;
}

void Connection::fill_sack_blocks(wire::TcpOptions& o, std::size_t payload_len) {
  o.sack_count = 0;
  if (!sack_ok_) return;
  // Room in this segment: options at most 40 bytes and payload plus options
  // within the peer's MSS (RFC 6691: the sender reduces its data for the
  // options it sends); each block is 8 bytes plus 2 (kind, length) and 2
  // NOPs once.
  std::size_t used = ts_ok_ ? 12 : 0;
  std::size_t room = 40 - used;
  if (payload_len > 0) {
    std::size_t budget = segment_budget();
    std::size_t mss_room = budget > payload_len + used ? budget - payload_len - used : 0;
    room = std::min(room, mss_room);
  }
  std::size_t max_blocks =
      room >= 4 ? std::min<std::size_t>((room - 4) / 8, wire::TcpOptions::kMaxSackBlocks) : 0;
  if (max_blocks == 0) return;
  bool dsack_sent = dsack_.has_value();
  if (dsack_) {
    o.sack[o.sack_count++] = {dsack_->start.raw(), dsack_->end.raw()};
    ++stats_.dsacks_sent;
    dsack_.reset();
  }
  // Map each anchor to the out-of-order range now holding it; ranges below
  // RCV.NXT are gone, and an anchor inside an earlier block adds nothing.
  std::uint8_t kept = 0;
  for (std::size_t i = 0; i < sack_anchor_count_; ++i) {
    SeqNum a = sack_anchors_[i];
    if (a < rcv_.nxt) continue;
    std::size_t off = static_cast<std::size_t>(a - rcv_.nxt);
    const Assembler::Range* hit = nullptr;
    for (const auto& r : ooo_.ranges())
      if (r.start <= off && off < r.end) hit = &r;
    if (!hit) continue;
    wire::SackBlock b{(rcv_.nxt + static_cast<std::uint32_t>(hit->start)).raw(),
                      (rcv_.nxt + static_cast<std::uint32_t>(hit->end)).raw()};
    // Skip repeats, but not of the D-SACK block: RFC 2883 §4 sends the
    // block containing the duplicate next to it.
    bool dup = false;
    for (std::size_t k = dsack_sent ? 1 : 0; k < o.sack_count; ++k)
      dup = dup || (o.sack[k] == b);
    if (dup) continue;
    sack_anchors_[kept++] = a;
    if (o.sack_count < max_blocks) o.sack[o.sack_count++] = b;
  }
  sack_anchor_count_ = kept;
}

}  // namespace synack::tcp
