#pragma once
// The congestion window's growth and its reaction to loss: slow start and
// congestion avoidance (RFC 5681 §3.1) with either Reno's additive increase or
// CUBIC's cubic function (RFC 9438). Loss *recovery* (which segments to
// retransmit) lives in the connection; this class only decides the sizes.
#include <cstdint>
#include <string_view>

#include "core/time.hpp"
#include "tcp/cubic.hpp"
#include "tcp/tcp_config.hpp"

namespace synack::tcp {

class CongestionControl {
 public:
  explicit CongestionControl(CongestionAlgorithm algo = CongestionAlgorithm::Cubic) : algo_(algo) {}

  // RFC 6928: an initial window of 10 segments.
  void init(std::uint32_t mss);

  // New data acknowledged outside loss recovery.
  void on_ack(Instant now, std::uint32_t acked, Duration srtt);
  // Loss detected by duplicate ACKs or SACK (RFC 5681 §3.2, RFC 9438 §4.6):
  // ssthresh drops; the caller runs recovery with cwnd = ssthresh.
  void on_loss(Instant now, std::uint32_t flight);
  // Retransmission timeout (RFC 5681 §3.1, RFC 9438 §4.8): ssthresh drops as
  // for a loss, and cwnd restarts from one segment.
  void on_timeout(Instant now, std::uint32_t flight);
  // Undoing a spurious cut is the connection's job (Eifel detection in
  // connection_recovery.cpp restores cwnd and ssthresh).

  std::uint32_t cwnd = 0;
  std::uint32_t ssthresh = 0xffffffff;

  bool in_slow_start() const { return cwnd < ssthresh; }
  std::string_view name() const { return algo_ == CongestionAlgorithm::Cubic ? "cubic" : "reno"; }

 private:
  std::uint32_t loss_ssthresh(Instant now, std::uint32_t flight);

  CongestionAlgorithm algo_;
  std::uint32_t mss_ = 536;
  std::uint32_t bytes_acked_ = 0;  // Reno: byte counting toward the next +1 MSS (RFC 3465)
  Cubic cubic_;
};

}  // namespace synack::tcp
