#include "tcp/congestion_control.hpp"

#include <algorithm>

namespace synack::tcp {

void CongestionControl::init(std::uint32_t mss) {
  mss_ = mss;
  cwnd = 10 * mss;  // RFC 6928
  ssthresh = 0xffffffff;
  bytes_acked_ = 0;
  cubic_ = Cubic{};
}

void CongestionControl::on_ack(Instant now, std::uint32_t acked, Duration srtt) {
  if (in_slow_start()) {
    // RFC 5681 §3.1 with byte counting (RFC 3465). Like Linux, without the
    // L = 2 SMSS cap: receivers that coalesce (GRO, batched polls) send
    // stretch ACKs, and the window should still double each round trip.
    std::uint32_t grown = cwnd + acked;
    cwnd = std::min(grown, std::max(ssthresh, cwnd));
    return;
  }
  if (algo_ == CongestionAlgorithm::Cubic) {
    cwnd = cubic_.on_ack(now, cwnd, acked, mss_, srtt);
    return;
  }
  // Reno congestion avoidance (RFC 5681 §3.1, byte counting per RFC 3465):
  // one SMSS per window's worth of acknowledged bytes.
  bytes_acked_ += acked;
  if (bytes_acked_ >= cwnd) {
    bytes_acked_ -= cwnd;
    cwnd += mss_;
  }
}

std::uint32_t CongestionControl::loss_ssthresh(Instant now, std::uint32_t flight) {
  (void)now;
  bytes_acked_ = 0;
  if (algo_ == CongestionAlgorithm::Cubic) return cubic_.on_loss(cwnd, mss_);
  // RFC 5681 §3.1 equation (4).
  return std::max(flight / 2, 2 * mss_);
}

void CongestionControl::on_loss(Instant now, std::uint32_t flight) {
  ssthresh = loss_ssthresh(now, flight);
  cwnd = ssthresh;
}

void CongestionControl::on_timeout(Instant now, std::uint32_t flight) {
  ssthresh = loss_ssthresh(now, flight);
  cwnd = mss_;  // RFC 5681 §3.1: the loss window is one segment
  if (algo_ == CongestionAlgorithm::Cubic) cubic_.reset_epoch();
}

}  // namespace synack::tcp
