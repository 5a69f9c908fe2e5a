#include "tcp/sent_segments.hpp"

#include <algorithm>
#include <memory>
#include <new>

namespace synack::tcp {

std::size_t SentSegments::find(SeqNum s) const {
  std::size_t lo = 0, hi = count_;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if ((*this)[mid].end <= s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool SentSegments::on_transmit(SeqNum start, SeqNum end, Instant now) {
  if (!(start < end)) return true;
  if (count_ > 0 && start < front().start) start = front().start;
  SeqNum old_end = this->end();
  if (count_ == 0 || !(start < old_end)) {
    push_back({start, end, now});
    return false;
  }
  // Past SND.MAX the segment carries new data too (after a timeout, go-back-N
  // may join old short segments with new bytes).
  if (old_end < end) push_back({old_end, end, now});
  SeqNum rx_end = end < old_end ? end : old_end;
  std::size_t i = find(start);
  if (i < count_ && (*this)[i].start < start) split(i++, start);
  for (; i < count_ && (*this)[i].start < rx_end; ++i) {
    if (rx_end < (*this)[i].end) split(i, rx_end);
    SentSegment& r = (*this)[i];
    r.xmit_ts = now;
    r.retransmitted = true;
    if (r.lost) {
      r.lost = false;
      lost_bytes_ -= r.len();
    }
  }
  return true;
}

void SentSegments::pop_front() {
  if (front().lost) lost_bytes_ -= front().len();
  head_ = (head_ + 1) & mask();
  if (--count_ == 0) {
    head_ = 0;
    release();
  }
}

namespace {

std::uint8_t* acquire_bytes(BufferPool* pool, std::size_t n) {
  // Never refused by the stack's buffer budget: a segment in flight must be
  // recorded (the send buffer holding its bytes was within the budget).
  return pool ? pool->acquire_unbudgeted(n) : new std::uint8_t[n];
}

void release_bytes(BufferPool* pool, std::uint8_t* block, std::size_t n) {
  if (pool)
    pool->release(block, n);
  else
    delete[] block;
}

}  // namespace

void SentSegments::release() {
  if (!ring_) return;
  // SentSegment is trivially destructible: the records need no destructor.
  release_bytes(pool_, reinterpret_cast<std::uint8_t*>(ring_), cap_ * sizeof(SentSegment));
  ring_ = nullptr;
  cap_ = 0;
}

void SentSegments::trim_front(SeqNum una) {
  SentSegment& f = front();
  if (!(f.start < una) || !(una < f.end)) return;
  if (f.lost) lost_bytes_ -= static_cast<std::uint32_t>(una - f.start);
  f.start = una;
}

void SentSegments::mark_lost(SentSegment& s) {
  if (s.lost || s.sacked) return;
  s.lost = true;
  lost_bytes_ += s.len();
}

void SentSegments::unmark_lost(SentSegment& s) {
  if (!s.lost) return;
  s.lost = false;
  lost_bytes_ -= s.len();
}

void SentSegments::mark_sacked(SentSegment& s) {
  if (s.lost) lost_bytes_ -= s.len();
  s.lost = false;
  s.sacked = true;
}

void SentSegments::push_back(const SentSegment& s) {
  static_assert(std::is_trivially_destructible_v<SentSegment>);
  static_assert(alignof(SentSegment) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  if (count_ == cap_) {
    // Grow by doubling, unrolling the ring so the records start at 0. It
    // starts at 4 records: a request/response connection never needs more.
    std::size_t cap = std::max<std::size_t>(4, cap_ * 2);
    std::uint8_t* block = acquire_bytes(pool_, cap * sizeof(SentSegment));
    std::uninitialized_default_construct_n(reinterpret_cast<SentSegment*>(block), cap);
    auto* bigger = std::launder(reinterpret_cast<SentSegment*>(block));
    for (std::size_t i = 0; i < count_; ++i)
      bigger[i] = (*this)[i];
    std::size_t count = count_;
    release();
    ring_ = bigger;
    cap_ = cap;
    head_ = 0;
    count_ = count;
  }
  (*this)[count_++] = s;
}

void SentSegments::insert(std::size_t index, const SentSegment& s) {
  push_back(s);
  for (std::size_t i = count_ - 1; i > index; --i)
    (*this)[i] = (*this)[i - 1];
  (*this)[index] = s;
}

void SentSegments::split(std::size_t index, SeqNum at) {
  SentSegment tail = (*this)[index];
  tail.start = at;
  (*this)[index].end = at;
  insert(index + 1, tail);
}

}  // namespace synack::tcp
