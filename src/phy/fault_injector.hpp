#pragma once
// One direction of an impaired link, sans-IO: frames go in with the instant
// they were sent and come out at the instant they arrive. Loss, duplication,
// corruption, delay, jitter, reordering and a bandwidth-limited FIFO queue are
// decided from one seeded generator, so a seed reproduces a run exactly. It
// knows nothing of the simulator, so it can also sit at the TUN boundary.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "core/time.hpp"
#include "phy/link_params.hpp"

namespace synack::phy {

struct FaultStats {
  std::uint64_t submitted = 0;    // frames handed to submit()
  std::uint64_t lost = 0;         // dropped by the `loss` probability
  std::uint64_t duplicated = 0;   // extra copies made
  std::uint64_t corrupted = 0;    // frames with one bit flipped
  std::uint64_t reordered = 0;    // copies held back by reorder_extra
  std::uint64_t delivered = 0;    // copies handed out by pop_due()
  std::uint64_t queue_drops = 0;  // tail drops: the rate queue was full
};

class FaultInjector {
 public:
  struct Delivery {
    Instant at;
    std::vector<std::uint8_t> frame;
  };
  // Told of every frame the link drops (random loss or a full queue), with the
  // instant it was submitted and its bytes as submitted.
  using LossHook = std::function<void(Instant, std::span<const std::uint8_t>)>;

  FaultInjector(LinkParams params, std::uint64_t seed);

  // Decides the fate of one frame sent at `now` (copied).
  void submit(Instant now, std::span<const std::uint8_t> frame);
  // The arrival instant of the earliest pending copy, kNever when none:
  // what the simulator's step asks of every link (an optional return costs
  // a stack round trip there).
  Instant next_arrival() const { return pending_.empty() ? kNever : pending_.front().at; }
  // The same, if any.
  std::optional<Instant> next_delivery() const {
    Instant at = next_arrival();
    return at == kNever ? std::nullopt : std::optional<Instant>(at);
  }
  // A copy is pending and arrives no later than `now`.
  bool due(Instant now) const { return !pending_.empty() && pending_.front().at <= now; }
  // Takes the earliest pending copy, which must be due().
  std::vector<std::uint8_t> pop_next();
  // The earliest pending copy whose arrival instant is <= now. Copies due at
  // the same instant come out in the order they were scheduled.
  std::optional<std::vector<std::uint8_t>> pop_due(Instant now);
  // Same, with the arrival instant.
  std::optional<Delivery> pop_due_delivery(Instant now);

  // Takes back a frame buffer that pop_due() handed out, to hold the next
  // submitted frame: a caller that returns them makes steady state
  // allocation-free. At most kMaxSpareBytes of them are kept (a window of
  // frames in flight on a fast link).
  void recycle(std::vector<std::uint8_t> buffer);
  static constexpr std::size_t kMaxSpareBytes = 8 << 20;

  void set_on_lost(LossHook hook) { on_lost_ = std::move(hook); }
  // Applies to frames submitted from now on; frames in flight keep their fate.
  void set_params(LinkParams params) { params_ = params; }
  const LinkParams& params() const { return params_; }
  const FaultStats& stats() const { return stats_; }
  // Copies scheduled but not yet popped.
  std::size_t in_flight() const { return pending_.size(); }
  // Bytes accepted by the rate queue whose serialisation ends after `now`.
  std::size_t queued_bytes(Instant now) const;

 private:
  struct Pending {
    Instant at;
    std::uint64_t order;  // tie-break: submission order among equal instants
    std::vector<std::uint8_t> frame;
  };
  struct Serialising {
    std::int64_t done_ns;  // when the last bit leaves the sender
    std::size_t bytes;
  };

  bool chance(double p);
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n)
  void drop(Instant now, std::span<const std::uint8_t> frame);
  // When the frame's last bit is on the wire (now, without a rate limit), or
  // kNever when the queue is full.
  Instant serialise(Instant now, std::size_t bytes) {
    return params_.rate_bps == 0 ? now : serialise_at_rate(now, bytes);
  }
  Instant serialise_at_rate(Instant now, std::size_t bytes);
  void schedule(Instant departure, std::vector<std::uint8_t> frame);

  LinkParams params_;
  std::mt19937_64 rng_;
  FaultStats stats_;
  LossHook on_lost_;
  std::vector<Pending> pending_;                  // a min-heap on (at, order)
  std::vector<std::vector<std::uint8_t>> spare_;  // recycled frame buffers
  std::size_t spare_bytes_ = 0;                   // their capacity
  std::uint64_t next_order_ = 0;
  // The rate queue: frames accepted but not yet fully serialised. Time kept in
  // nanoseconds so that rounding does not accumulate at high rates.
  std::deque<Serialising> wire_;
  std::size_t wire_bytes_ = 0;
  std::int64_t wire_free_ns_ = 0;
};

}  // namespace synack::phy
