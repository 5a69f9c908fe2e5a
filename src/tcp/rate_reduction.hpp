#pragma once
// Proportional Rate Reduction (RFC 6937), the slow-start reduction bound
// variant Linux runs: during SACK recovery the congestion window is recomputed
// on every ACK so that what is sent follows what the receiver reports as
// delivered, scaled by ssthresh / flight-at-loss. The window comes down to
// ssthresh smoothly instead of in one step (RFC 6675 sends nothing until pipe
// falls below ssthresh, then a burst-free trickle), and a recovery that loses
// more than the cut still rebuilds toward ssthresh by slow start.
#include <cstdint>

namespace synack::tcp {

class RateReduction {
 public:
  // Recovery starts with `flight` bytes outstanding (RecoverFS).
  void start(std::uint32_t flight);
  // Bytes of data (retransmitted or new) sent during recovery: prr_out.
  void on_sent(std::uint32_t bytes) { out_ += bytes; }
  // An ACK in recovery reported `delivered` bytes newly delivered (SND.UNA's
  // advance plus the change in SACKed bytes). Returns the congestion window
  // for it: pipe + sndcnt (RFC 6937 §3.1).
  std::uint32_t on_ack(std::uint32_t delivered, std::uint32_t pipe, std::uint32_t ssthresh,
                       std::uint32_t mss);

 private:
  std::uint64_t recover_fs_ = 1;
  std::uint64_t delivered_ = 0;  // prr_delivered
  std::uint64_t out_ = 0;        // prr_out
};

}  // namespace synack::tcp
