#pragma once
// A half-open connection in the listener's SYN queue: what a SYN-RECEIVED
// entry needs and no more (Linux's request_sock). A full Connection is only
// built when the final ACK arrives.
#include <cstddef>
#include <cstdint>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "tcp/four_tuple.hpp"

namespace synack::tcp {

struct RequestSock {
  FourTuple tuple;
  SeqNum iss;
  SeqNum irs;
  std::uint16_t peer_mss = 536;
  std::uint16_t peer_window = 0;     // from the SYN, unscaled
  std::uint16_t offered_window = 0;  // the largest our SYN-ACKs offered
  bool wscale_ok = false;
  std::uint8_t snd_wscale = 0;
  std::uint8_t rcv_wscale = 0;
  bool sack_ok = false;
  bool ts_ok = false;
  std::uint32_t ts_recent = 0;  // the peer's TSval (RFC 7323 §4.3)
  std::uint32_t ts_offset = 0;
  int retransmits = 0;     // SYN-ACKs sent again after a timeout
  Instant created{};       // when the SYN arrived
  Instant first_synack{};  // for an RTT sample when never retransmitted
  Instant deadline{};      // next SYN-ACK retransmission or expiry
  bool acked = false;      // the final ACK came while the accept queue was full
  bool resent = false;     // a SYN-ACK went out again on a duplicate SYN: no RTT sample (Karn)
  // The SynQueue's timer index (DeadlineHeap): `deadline` as filed there.
  Instant indexed_deadline = kNever;
  std::size_t timer_slot = static_cast<std::size_t>(-1);
};

}  // namespace synack::tcp
