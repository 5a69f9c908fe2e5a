#pragma once
// CUBIC's window function (RFC 9438 §4): after a loss the window grows as
// W(t) = C (t - K)^3 + W_max, concave up to the last maximum and convex past
// it, with a Reno-friendly estimate as the floor. Windows here are in bytes;
// the RFC's segments are converted with the MSS.
#include <cstdint>

#include "core/time.hpp"

namespace synack::tcp {

class Cubic {
 public:
  static constexpr double kC = 0.4;     // RFC 9438 §5.1
  static constexpr double kBeta = 0.7;  // RFC 9438 §4.6

  // Returns the new cwnd after `acked` bytes were acknowledged in congestion
  // avoidance, `srtt` being the smoothed RTT.
  std::uint32_t on_ack(Instant now, std::uint32_t cwnd, std::uint32_t acked, std::uint32_t mss,
                       Duration srtt);
  // A congestion event with the window at `cwnd`: remembers W_max (with fast
  // convergence, §4.7) and returns the new ssthresh = beta * cwnd.
  std::uint32_t on_loss(std::uint32_t cwnd, std::uint32_t mss);
  void reset_epoch() { epoch_started_ = false; }

 private:
  bool epoch_started_ = false;
  Instant epoch_start_{};
  double w_max_ = 0;   // segments
  double k_ = 0;       // seconds
  double origin_ = 0;  // segments: the plateau W(t) returns to at t = K
  double w_est_ = 0;   // segments: the Reno-friendly estimate (§4.3)
  double cwnd_frac_ = 0;
};

}  // namespace synack::tcp
