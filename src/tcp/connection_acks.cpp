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
  if (immediately || quickack_ > 0 || two_segments || cfg_.delack_min <= Duration(0))
    ack_now_ = true;
}

void Connection::note_received_segment(Instant now) {
  keepalive_probes_sent_ = 0;
  if (cfg_.keepalive && timers_.keepalive != kNever) timers_.keepalive = now + cfg_.keepalive_time;
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

void Connection::fill_sack_blocks(wire::TcpOptions& o, std::size_t payload_len) {
  o.sack_count = 0;
  if (!sack_ok_) return;
  // Room in this segment: options at most 40 bytes and the whole segment
  // within the MSS we announced; each block is 8 bytes plus 2 (kind, length)
  // and 2 NOPs once.
  std::size_t used = ts_ok_ ? 12 : 0;
  std::size_t room = 40 - used;
  if (payload_len > 0) {
    std::size_t mss_room = our_mss_ > payload_len + used ? our_mss_ - payload_len - used : 0;
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
