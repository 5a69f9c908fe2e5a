#pragma once
// The transmission control block's sequence variables (RFC 9293 §3.3.1),
// split into the send and receive sides.
#include <cstdint>

#include "core/seq_num.hpp"
#include "core/time.hpp"

namespace synack::tcp {

struct SendState {
  SeqNum iss;                 // initial send sequence number
  SeqNum una;                 // oldest unacknowledged
  SeqNum nxt;                 // next to send
  SeqNum max;                 // highest sequence number sent so far (nxt rewinds on RTO)
  std::uint32_t wnd = 0;      // peer's window, scaled to bytes
  std::uint32_t max_wnd = 0;  // largest window the peer has offered (RFC 5961 §5.2)
  SeqNum wl1;                 // segment seq used for the last window update
  SeqNum wl2;                 // segment ack used for the last window update
  std::uint8_t wscale = 0;    // shift applied to windows the peer advertises
  std::uint16_t mss = 536;    // largest payload we put in a segment
  bool fin_queued = false;    // the user closed the write side
  bool fin_sent = false;      // a FIN is in flight (seq = fin_seq)
  SeqNum fin_seq;
};

struct RecvState {
  SeqNum irs;                      // initial receive sequence number
  SeqNum nxt;                      // next expected
  std::uint8_t wscale = 0;         // shift we apply to the windows we advertise
  std::uint16_t syn_wnd = 0;       // our SYN's (and SYN-ACK's) window, chosen at connect
  std::uint32_t last_adv_wnd = 0;  // window last advertised, in bytes
  SeqNum last_adv_edge;            // rcv.nxt + window at the last advertisement
  bool fin_received = false;       // a FIN has been consumed (rcv.nxt covers it)
  bool fin_pending = false;        // a FIN arrived ahead of missing data
  SeqNum fin_seq;
};

// When each timer of a connection fires; kNever when disarmed.
struct TimerSet {
  Instant retransmit = kNever;  // RTO, also SYN / SYN-ACK retransmission
  Instant persist = kNever;     // zero-window probe
  Instant fin_wait2 = kNever;   // orphaned FIN-WAIT-2 timeout
  Instant delack = kNever;      // delayed ACK (RFC 9293 §3.8.6.3)
  Instant keepalive = kNever;   // next keepalive probe or give-up (RFC 9293 §3.8.4)
  Instant loss_probe = kNever;  // tail loss probe (RFC 8985 §7)
  Instant rack = kNever;        // RACK reordering timer (RFC 8985 §6.3)

  Instant next() const {
    return earliest(earliest(earliest(retransmit, persist), earliest(fin_wait2, delack)),
                    earliest(earliest(keepalive, loss_probe), rack));
  }
};

}  // namespace synack::tcp
