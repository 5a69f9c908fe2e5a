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

TcpTrackState TcpConntrack::on_segment(Direction dir, std::uint8_t flags, std::uint32_t seq,
                                       std::uint32_t ack, std::uint32_t seg_len) {
  int d = idx(dir), o = idx(opposite(dir));
  if (dir == Direction::Reply) seen_reply_ = true;
  if (flags & kRst) {
    // RFC 7857 §2.2: keep the state (translated) for 4 more minutes.
    state_ = TcpTrackState::Close;
    return state_;
  }
  if ((state_ == TcpTrackState::TimeWait || state_ == TcpTrackState::Close) &&
      dir == Direction::Original && (flags & kSyn) && !(flags & kAck)) {
    // The initiator reuses the 4-tuple for a new connection.
    *this = TcpConntrack();
    return state_;
  }
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
