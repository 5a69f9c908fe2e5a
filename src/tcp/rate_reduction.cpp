#include "tcp/rate_reduction.hpp"

#include <algorithm>

namespace synack::tcp {

void RateReduction::start(std::uint32_t flight) {
  recover_fs_ = std::max<std::uint32_t>(flight, 1);
  delivered_ = 0;
  out_ = 0;
}

std::uint32_t RateReduction::on_ack(std::uint32_t delivered, std::uint32_t pipe,
                                    std::uint32_t ssthresh, std::uint32_t mss) {
  delivered_ += delivered;
  std::int64_t sndcnt;
  if (pipe > ssthresh) {
    // RFC 6937 §3.1, proportional part: CEIL(prr_delivered * ssthresh /
    // RecoverFS) - prr_out, rounded up to whole segments as Linux counts it
    // (in bytes, a 0.3-segment allowance would hold a full segment back).
    std::uint64_t unit = recover_fs_ * mss;
    std::uint64_t allowed = (delivered_ * ssthresh + unit - 1) / unit * mss;
    sndcnt = static_cast<std::int64_t>(allowed) - static_cast<std::int64_t>(out_);
  } else {
    // Slow-start reduction bound: at most one segment more than was
    // delivered (or than this ACK delivered), and never above ssthresh.
    std::int64_t owed = static_cast<std::int64_t>(delivered_) - static_cast<std::int64_t>(out_);
    std::int64_t limit = std::max<std::int64_t>(owed, delivered) + mss;
    sndcnt = std::min<std::int64_t>(static_cast<std::int64_t>(ssthresh) - pipe, limit);
  }
  sndcnt = std::max<std::int64_t>(sndcnt, 0);
  return pipe + static_cast<std::uint32_t>(sndcnt);
}

}  // namespace synack::tcp
