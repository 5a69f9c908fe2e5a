#pragma once
// Following one TCP connection through a NAT (RFC 7857 §2.2, after RFC 6146
// §3.5.2.2), with Linux conntrack's state names: SYN seen one way, then the
// other, established, a FIN each way and its ACK, RST. Each state has an
// idle timeout no shorter than RFC 5382 REQ-5 allows: 2 h 4 min once
// established, 4 min while opening or closing ("transitory"), and after a
// RST 4 min more (RFC 7857 §2.2), so a late segment still finds its mapping.
#include <cstdint>

#include "core/time.hpp"

namespace synack::nat {

// Which way a packet travels relative to the flow: Original is the
// initiator's direction, Reply the responder's.
enum class Direction : std::uint8_t { Original = 0, Reply = 1 };

inline Direction opposite(Direction d) {
  return d == Direction::Original ? Direction::Reply : Direction::Original;
}

enum class TcpTrackState : std::uint8_t {
  SynSent,      // SYN seen from the initiator
  SynRecv,      // SYN+ACK seen back
  Established,  // the initiator ACKed the SYN+ACK
  FinWait,      // one FIN seen, not yet ACKed
  CloseWait,    // one FIN seen and ACKed; the other side still open
  LastAck,      // both FINs seen, the last not yet ACKed
  TimeWait,     // both FINs seen and ACKed
  Close,        // a RST was seen
};

// Linux's names: SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT,
// LAST_ACK, TIME_WAIT, CLOSE.
const char* to_string(TcpTrackState s);

struct TcpTimeouts {
  Duration established = std::chrono::seconds(2 * 3600 + 4 * 60);  // REQ-5: >= 2 h 4 min
  Duration transitory = std::chrono::minutes(4);                   // REQ-5: >= 4 min
  Duration time_wait = std::chrono::minutes(4);                    // 2 MSL
  Duration after_rst = std::chrono::minutes(4);                    // RFC 7857 §2.2
  Duration timeout(TcpTrackState s) const;
};

class TcpConntrack {
 public:
  // A flow starts with the initiator's SYN.
  TcpConntrack() = default;
  TcpTrackState state() const { return state_; }
  bool seen_reply() const { return seen_reply_; }
  // Follows one segment; returns the new state. `window` is as on the wire,
  // `wscale` a SYN's window scale option (-1: none). A RST outside the
  // receiver's window changes nothing (RFC 5961 §3, as Linux's conntrack
  // checks it): an off-path RST cannot close the entry.
  TcpTrackState on_segment(Direction dir, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                           std::uint32_t seg_len, std::uint16_t window = 0xffff,
                           std::int8_t wscale = -1);
  std::uint64_t rsts_ignored() const { return rsts_ignored_; }

 private:
  // What one direction's segments showed.
  struct Track {
    bool seen = false;
    std::uint32_t next = 0;  // the highest seq + length sent
    bool acked_seen = false;
    std::uint32_t acked = 0;   // the highest ACK sent: the receiver's RCV.NXT
    std::uint32_t window = 0;  // the last window advertised, scaled
    std::int8_t wscale = -1;   // from its SYN
  };
  TcpTrackState derive_closing() const;
  bool rst_acceptable(int d, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack) const;
  void track(int d, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t seg_len,
             std::uint16_t window, std::int8_t wscale);

  Track track_[2];
  std::uint64_t rsts_ignored_ = 0;
  // The table's Reply direction started the current connection (the old
  // responder reused the 4-tuple after TIME-WAIT): directions are mirrored.
  bool swapped_ = false;

  TcpTrackState state_ = TcpTrackState::SynSent;
  bool seen_reply_ = false;
  bool was_established_ = false;
  bool fin_[2] = {false, false};
  bool fin_acked_[2] = {false, false};
  std::uint32_t fin_end_[2] = {0, 0};  // sequence number just after each FIN
};

}  // namespace synack::nat
