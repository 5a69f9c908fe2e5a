#pragma once
// Retransmission timeout from RTT samples, per RFC 6298 §2 (alpha 1/8, beta
// 1/4, K = 4), with Linux's bounds: at least SRTT + rto_min, at most rto_max.
#include <algorithm>

#include "core/time.hpp"

namespace synack::tcp {

class RttEstimator {
 public:
  RttEstimator(Duration initial, Duration min, Duration max)
      : rto_(initial), min_(min), max_(max) {}

  void sample(Duration rtt) {
    if (rtt < Duration(0)) rtt = Duration(0);
    if (!has_sample_) {
      // RFC 6298 §2.2: first measurement.
      srtt_ = rtt;
      rttvar_ = rtt / 2;
      has_sample_ = true;
    } else {
      // RFC 6298 §2.3.
      Duration err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
      rttvar_ = (rttvar_ * 3 + err) / 4;
      srtt_ = (srtt_ * 7 + rtt) / 8;
    }
    // RFC 6298 §2.3, with the minimum applied to the variance term as Linux
    // does (RTO = SRTT + max(4 RTTVAR, rto_min)), not to the sum: at long
    // RTTs a steady path would otherwise get an RTO barely above the RTT,
    // and a delayed ACK would fire it spuriously.
    rto_ = std::min(srtt_ + std::max(rttvar_ * 4, min_), max_);
  }
  // RFC 6298 §5.7: if the handshake gave no sample (its SYN or SYN-ACK was
  // retransmitted, or a SYN cookie stood in for the SYN queue), the RTO once
  // data starts is 3 s, as Linux's TCP_TIMEOUT_FALLBACK.
  void handshake_without_sample() {
    if (!has_sample_) rto_ = std::max(rto_, Duration(std::chrono::seconds(3)));
  }

  Duration rto() const { return rto_; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return has_sample_; }
  Duration max() const { return max_; }

 private:
  Duration rto_;
  Duration min_;
  Duration max_;
  Duration srtt_{0};
  Duration rttvar_{0};
  bool has_sample_ = false;
};

}  // namespace synack::tcp
