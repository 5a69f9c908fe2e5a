#include "tcp/cubic.hpp"

#include <algorithm>
#include <cmath>

namespace synack::tcp {

std::uint32_t Cubic::on_ack(Instant now, std::uint32_t cwnd_bytes, std::uint32_t acked,
                            std::uint32_t mss, Duration srtt) {
  double cwnd = static_cast<double>(cwnd_bytes) / mss;
  double segs_acked = static_cast<double>(acked) / mss;
  if (!epoch_started_) {
    // RFC 9438 §4.2: the epoch starts with the first ACK in congestion
    // avoidance after a loss.
    epoch_started_ = true;
    epoch_start_ = now;
    if (cwnd < w_max_) {
      k_ = std::cbrt((w_max_ - cwnd) / kC);
      origin_ = w_max_;
    } else {
      k_ = 0;
      origin_ = cwnd;
    }
    w_est_ = cwnd;
  }
  double t = std::chrono::duration<double>(now - epoch_start_).count();
  double rtt = std::chrono::duration<double>(srtt).count();
  // §4.2: the target is W_cubic one RTT ahead, kept within [cwnd, 1.5 cwnd].
  double target = origin_ + kC * std::pow(t + rtt - k_, 3);
  target = std::clamp(target, cwnd, 1.5 * cwnd);

  // §4.3: Reno-friendly region, alpha = 3(1-beta)/(1+beta) until W_est
  // passes W_max, then 1.
  double alpha = w_est_ >= w_max_ ? 1.0 : 3.0 * (1 - kBeta) / (1 + kBeta);
  w_est_ += alpha * segs_acked / cwnd;

  double next;
  if (w_est_ > target) {
    next = w_est_;
  } else {
    // §4.4/4.5: grow by (target - cwnd) / cwnd per acknowledged segment.
    next = cwnd + (target - cwnd) / cwnd * segs_acked;
  }
  next = std::max(next, cwnd);
  double bytes = next * mss + cwnd_frac_;
  auto out = static_cast<std::uint32_t>(std::min(bytes, 1e9));
  cwnd_frac_ = bytes - out;
  return std::max(out, cwnd_bytes);
}

std::uint32_t Cubic::on_loss(std::uint32_t cwnd_bytes, std::uint32_t mss) {
  double cwnd = static_cast<double>(cwnd_bytes) / mss;
  epoch_started_ = false;
  cwnd_frac_ = 0;
  // §4.7 fast convergence: a loss below the last maximum means another flow
  // needs room; release more.
  w_max_ = cwnd < w_max_ ? cwnd * (1 + kBeta) / 2 : cwnd;
  auto ssthresh = static_cast<std::uint32_t>(std::lround(cwnd_bytes * kBeta));
  return std::max(ssthresh, 2 * mss);
}

}  // namespace synack::tcp
