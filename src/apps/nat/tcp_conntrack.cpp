#include "apps/nat/tcp_conntrack.hpp"

namespace synack::nat {
namespace {
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

int idx(Direction d) {
  return static_cast<int>(d);
}
// a >= b in sequence space (RFC 9293 §3.4's modular comparison).
bool seq_ge(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) >= 0;
}
}  // namespace

const char* to_string(TcpTrackState s) {
  switch (s) {
    case TcpTrackState::SynSent:
      return "SYN_SENT";
    case TcpTrackState::SynRecv:
      return "SYN_RECV";
    case TcpTrackState::Established:
      return "ESTABLISHED";
    case TcpTrackState::FinWait:
      return "FIN_WAIT";
    case TcpTrackState::CloseWait:
      return "CLOSE_WAIT";
    case TcpTrackState::LastAck:
      return "LAST_ACK";
    case TcpTrackState::TimeWait:
      return "TIME_WAIT";
    case TcpTrackState::Close:
      return "CLOSE";
  }
  return "?";
}

Duration TcpTimeouts::timeout(TcpTrackState s) const {
  switch (s) {
    case TcpTrackState::Established:
      return established;
    case TcpTrackState::TimeWait:
      return time_wait;
    case TcpTrackState::Close:
      return after_rst;
    default:
      return transitory;
  }
}

TcpTrackState TcpConntrack::derive_closing() const {
  int fins = int(fin_[0]) + int(fin_[1]);
  if (fins == 0) return TcpTrackState::Established;
  if (fins == 1) {
    int d = fin_[0] ? 0 : 1;
    return fin_acked_[d] ? TcpTrackState::CloseWait : TcpTrackState::FinWait;
  }
  return fin_acked_[0] && fin_acked_[1] ? TcpTrackState::TimeWait : TcpTrackState::LastAck;
}

bool TcpConntrack::rst_acceptable(int d, std::uint8_t flags, std::uint32_t seq,
                                  std::uint32_t ack) const {
  const Track& sender = track_[d];
  const Track& receiver = track_[1 - d];
  if (receiver.acked_seen) {
    // In the receiver's window: RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND
    // (RFC 9293 §3.10.7.4; RFC 5961 §3.2 then asks for a challenge ACK
    // unless exact, which the endpoint does itself).
    std::uint32_t wnd = receiver.window > 0 ? receiver.window : 1;
    if (seq_ge(seq, receiver.acked) && !seq_ge(seq, receiver.acked + wnd)) return true;
    return sender.seen && seq == sender.next;
  }
  // The answer to a SYN: acceptable if it ACKs the SYN (RFC 9293 §3.10.7.3).
  if (d == idx(Direction::Reply) && state_ == TcpTrackState::SynSent)
    return (flags & kAck) && receiver.seen && ack == receiver.next;
  // The initiator giving up before any ACK: its next sequence number.
  return !sender.seen || seq == sender.next;
}

void TcpConntrack::track(int d, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                         std::uint32_t seg_len, std::uint16_t window, std::int8_t wscale) {
  Track& t = track_[d];
  if (flags & kSyn) t.wscale = wscale;
  std::uint32_t end = seq + seg_len;
  if (!t.seen || seq_ge(end, t.next)) t.next = end;
  t.seen = true;
  if (flags & kAck) {
    if (!t.acked_seen || seq_ge(ack, t.acked)) t.acked = ack;
    t.acked_seen = true;
    // RFC 7323 §2.2: the scale applies when both SYNs carried the option,
    // and never to a SYN's own window.
    bool scaled = !(flags & kSyn) && track_[0].wscale >= 0 && track_[1].wscale >= 0;
    t.window = scaled ? std::uint32_t(window) << t.wscale : window;
  }
}

TcpTrackState TcpConntrack::on_segment(Direction table_dir, std::uint8_t flags, std::uint32_t seq,
                                       std::uint32_t ack, std::uint32_t seg_len,
                                       std::uint16_t window, std::int8_t wscale) {
  // Relative to this connection's initiator (see swapped_).
  Direction dir = swapped_ ? opposite(table_dir) : table_dir;
  int d = idx(dir), o = idx(opposite(dir));
  if (dir == Direction::Reply) seen_reply_ = true;
  if (flags & kRst) {
    if (!rst_acceptable(d, flags, seq, ack)) {
      ++rsts_ignored_;  // off-path or stale: the endpoints decide, the entry stays
      return state_;
    }
    // RFC 7857 §2.2: keep the state (translated) for 4 more minutes.
    state_ = TcpTrackState::Close;
    return state_;
  }
  if ((state_ == TcpTrackState::TimeWait || state_ == TcpTrackState::Close) && (flags & kSyn) &&
      !(flags & kAck)) {
    // Either end reuses the 4-tuple for a new connection (RFC 9293 §3.6.1
    // lets a SYN end TIME-WAIT); whoever sent the SYN initiates it.
    bool swap = swapped_ != (dir == Direction::Reply);
    std::uint64_t ignored = rsts_ignored_;
    *this = TcpConntrack();
    swapped_ = swap;
    rsts_ignored_ = ignored;
    track(idx(Direction::Original), flags, seq, ack, seg_len, window, wscale);
    return state_;
  }
  track(d, flags, seq, ack, seg_len, window, wscale);
  switch (state_) {
    case TcpTrackState::SynSent:
      // The answer (or a simultaneous open's SYN) from the responder.
      if (dir == Direction::Reply && (flags & kSyn)) state_ = TcpTrackState::SynRecv;
      return state_;
    case TcpTrackState::SynRecv:
      if (dir == Direction::Original && (flags & kAck) && !(flags & kSyn)) {
        state_ = TcpTrackState::Established;
        was_established_ = true;
        break;  // the ACK may carry data or a FIN: fall into the closing logic
      }
      return state_;
    case TcpTrackState::Close:
      // RFC 6146 §3.5.2.2 (TRANS): traffic after a RST revives an
      // established connection.
      if (!was_established_) return state_;
      state_ = derive_closing();
      break;
    default:
      break;
  }
  if ((flags & kAck) && fin_[o] && seq_ge(ack, fin_end_[o])) fin_acked_[o] = true;
  if ((flags & kFin) && !fin_[d]) {
    fin_[d] = true;
    fin_end_[d] = seq + seg_len;
  }
  state_ = derive_closing();
  return state_;
}

}  // namespace synack::nat
