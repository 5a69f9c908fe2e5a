#include "phy/fault_injector.hpp"

#include <algorithm>
#include <utility>

namespace synack::phy {

namespace {

// Min-heap order for std::push_heap (which builds a max-heap): "a after b".
bool later(const auto& a, const auto& b) {
  if (a.at != b.at) return a.at > b.at;
  return a.order > b.order;
}

std::int64_t to_ns(Instant t) {
  return to_us(t) * 1000;
}

// Rounds nanoseconds up to the microsecond grid of Instant: a frame is never
// delivered before its last bit has left.
Instant from_ns_ceil(std::int64_t ns) {
  return instant_from_us((ns + 999) / 1000);
}

}  // namespace

FaultInjector::FaultInjector(LinkParams params, std::uint64_t seed) : params_(params), rng_(seed) {}

// The generator's raw output is mapped by hand (not through the standard
// distributions, whose algorithms differ between libraries) so that a seed
// gives the same run everywhere.
bool FaultInjector::chance(double p) {
  if (p <= 0) return false;  // draw nothing: adding "loss=0" keeps a run unchanged
  if (p >= 1) return true;
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // [0, 1)
  return u < p;
}

std::uint64_t FaultInjector::below(std::uint64_t n) {
  return n <= 1 ? 0 : rng_() % n;
}

void FaultInjector::drop(Instant now, std::span<const std::uint8_t> frame) {
  if (on_lost_) on_lost_(now, frame);
}

void FaultInjector::submit(Instant now, std::span<const std::uint8_t> frame) {
  ++stats_.submitted;
  if (chance(params_.loss)) {
    ++stats_.lost;
    drop(now, frame);
    return;
  }
  std::vector<std::uint8_t> bytes;
  if (!spare_.empty()) {
    bytes = std::move(spare_.back());
    spare_.pop_back();
    spare_bytes_ -= bytes.capacity();
  }
  bytes.assign(frame.begin(), frame.end());
  // Corrupt before duplicating so that both copies carry the same bytes, as a
  // copy made downstream of a bad wire would.
  if (!bytes.empty() && chance(params_.corrupt)) {
    std::uint64_t bit = below(bytes.size() * 8);
    bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    ++stats_.corrupted;
  }
  const int copies = chance(params_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    // Each copy occupies the wire; a full queue drops only the copy that does
    // not fit.
    Instant departure = serialise(now, bytes.size());
    if (departure == kNever) {
      ++stats_.queue_drops;
      drop(now, frame);
      continue;
    }
    if (i > 0) ++stats_.duplicated;
    if (i + 1 < copies) {
      schedule(departure, bytes);
    } else {
      schedule(departure, std::move(bytes));
    }
  }
}

Instant FaultInjector::serialise_at_rate(Instant now, std::size_t bytes) {
  const std::int64_t now_ns = to_ns(now);
  while (!wire_.empty() && wire_.front().done_ns <= now_ns) {
    wire_bytes_ -= wire_.front().bytes;
    wire_.pop_front();
  }
  if (wire_bytes_ + bytes > params_.queue_limit_bytes) return kNever;
  // ceil(bits * 1e9 / rate): the frame takes at least this long to send.
  const std::uint64_t bits = static_cast<std::uint64_t>(bytes) * 8;
  const std::int64_t tx_ns = static_cast<std::int64_t>(
      (bits * 1'000'000'000ull + params_.rate_bps - 1) / params_.rate_bps);
  const std::int64_t start_ns = std::max(now_ns, wire_free_ns_);
  wire_free_ns_ = start_ns + tx_ns;
  wire_.push_back({wire_free_ns_, bytes});
  wire_bytes_ += bytes;
  return from_ns_ceil(wire_free_ns_);
}

void FaultInjector::schedule(Instant departure, std::vector<std::uint8_t> frame) {
  Duration latency = params_.delay;
  if (params_.jitter.count() > 0) {
    const auto j = params_.jitter.count();
    latency +=
        Duration(static_cast<std::int64_t>(below(static_cast<std::uint64_t>(2 * j + 1))) - j);
  }
  if (chance(params_.reorder)) {
    latency += params_.reorder_extra;
    ++stats_.reordered;
  }
  // Jitter larger than the delay must not deliver before the frame was sent.
  latency = std::max(latency, Duration(0));
  pending_.push_back({departure + latency, next_order_++, std::move(frame)});
  std::push_heap(pending_.begin(), pending_.end(), later<Pending, Pending>);
}

void FaultInjector::recycle(std::vector<std::uint8_t> buffer) {
  if (spare_bytes_ + buffer.capacity() > kMaxSpareBytes) return;
  spare_bytes_ += buffer.capacity();
  spare_.push_back(std::move(buffer));
}

std::vector<std::uint8_t> FaultInjector::pop_next() {
  std::pop_heap(pending_.begin(), pending_.end(), later<Pending, Pending>);
  std::vector<std::uint8_t> frame = std::move(pending_.back().frame);
  pending_.pop_back();
  ++stats_.delivered;
  return frame;
}

std::optional<FaultInjector::Delivery> FaultInjector::pop_due_delivery(Instant now) {
  if (!due(now)) return std::nullopt;
  Instant at = pending_.front().at;
  return Delivery{at, pop_next()};
}

std::optional<std::vector<std::uint8_t>> FaultInjector::pop_due(Instant now) {
  auto d = pop_due_delivery(now);
  if (!d) return std::nullopt;
  return std::move(d->frame);
}

std::size_t FaultInjector::queued_bytes(Instant now) const {
  const std::int64_t now_ns = to_ns(now);
  std::size_t bytes = 0;
  for (const auto& s : wire_)
    if (s.done_ns > now_ns) bytes += s.bytes;
  return bytes;
}

}  // namespace synack::phy
