#include "core/ring_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace synack {

std::size_t RingBuffer::reachable(bool offer) const {
  if (!pool_ || alloc_ == cap_) return free();
  // Under pressure nothing more is offered than the storage held, or an
  // empty ring's first block.
  if (offer && pool_->under_pressure()) return (alloc_ ? alloc_ : grown_size(0)) - len_;
  std::size_t headroom = pool_->headroom();
  if (headroom >= cap_) return free();  // any growth fits
  // The storage held now, or with none the first block (always granted),
  // then each doubling the budget still has room for (the old block goes
  // back only after the copy).
  std::size_t best = alloc_ ? alloc_ : grown_size(0);
  for (std::size_t s = grown_size(best); s > best && s <= headroom; s = grown_size(s))
    best = s;
  return best - len_;
}

std::size_t RingBuffer::room(std::size_t offset, std::size_t n, bool count, bool offer) const {
  if (offset >= free()) return 0;
  n = std::min(n, free() - offset);
  std::size_t can = reachable(offer);
  std::size_t fits = offset >= can ? 0 : std::min(n, can - offset);
  if (count && fits < n) pool_->note_refusal();  // storable() < free() only with a pool
  return fits;
}

bool RingBuffer::reserve(std::size_t logical) {
  if (logical <= alloc_) return true;
  if (logical > cap_) return false;
  std::size_t want = grown_size(alloc_);
  while (want < logical)
    want = grown_size(want);
  std::uint8_t* grown = allocate(want);
  if (!grown) return false;
  if (alloc_ > 0) {
    // Keep every stored byte, readable or written ahead, at its logical
    // offset: unroll the old ring from head_.
    std::size_t first = alloc_ - head_;
    std::memcpy(grown, buf_ + head_, first);
    std::memcpy(grown + first, buf_, head_);
  }
  free_storage();
  buf_ = grown;
  alloc_ = want;
  head_ = 0;
  return true;
}

bool RingBuffer::copy_in(std::size_t logical, std::span<const std::uint8_t> data) {
  if (data.empty()) return true;  // memcpy must not see a null pointer
  if (!reserve(logical + data.size())) return false;
  std::size_t start = index(logical);
  std::size_t first = std::min(data.size(), alloc_ - start);
  std::memcpy(buf_ + start, data.data(), first);
  if (first < data.size()) std::memcpy(buf_, data.data() + first, data.size() - first);
  return true;
}

std::size_t RingBuffer::push(std::span<const std::uint8_t> data) {
  std::size_t n = room(0, data.size(), true, true);
  if (n == 0 || !copy_in(len_, data.first(n))) return 0;
  len_ += n;
  return n;
}

std::size_t RingBuffer::peek_at(std::size_t offset, std::span<std::uint8_t> out) const {
  if (offset >= len_) return 0;
  std::size_t n = std::min(out.size(), len_ - offset);
  if (n == 0) return 0;
  std::size_t start = index(offset);
  std::size_t first = std::min(n, alloc_ - start);
  std::memcpy(out.data(), buf_ + start, first);
  if (first < n) std::memcpy(out.data() + first, buf_, n - first);
  return n;
}

std::span<const std::uint8_t> RingBuffer::view_at(std::size_t offset, std::size_t n) const {
  if (offset >= len_) return {};
  n = std::min(n, len_ - offset);
  std::size_t start = index(offset);
  if (n == 0 || start + n > alloc_) return {};
  return {buf_ + start, n};
}

std::size_t RingBuffer::pop(std::span<std::uint8_t> out) {
  std::size_t n = peek_at(0, out);
  discard(n);
  return n;
}

std::size_t RingBuffer::discard(std::size_t n) {
  n = std::min(n, len_);
  if (n == 0) return 0;
  head_ = (head_ + n) % alloc_;
  len_ -= n;
  return n;
}

std::size_t RingBuffer::write_at(std::size_t offset, std::span<const std::uint8_t> data) {
  std::size_t n = room(offset, data.size(), true, false);
  if (n == 0 || !copy_in(len_ + offset, data.first(n))) return 0;
  return n;
}

void RingBuffer::release_if_empty() {
  if (len_ != 0 || alloc_ == 0) return;
  if (!pool_ && alloc_ <= kFirstAllocation) return;
  free_storage();
  head_ = 0;
}

std::uint8_t* RingBuffer::allocate(std::size_t n) {
  if (!pool_) return new std::uint8_t[n];
  // An empty ring's first block is granted past the budget: see storable().
  return alloc_ == 0 && n == grown_size(0) ? pool_->acquire(n) : pool_->try_acquire(n);
}

void RingBuffer::free_storage() {
  if (!buf_) return;
  if (pool_)
    pool_->release(buf_, alloc_);
  else
    delete[] buf_;
  buf_ = nullptr;
  alloc_ = 0;
}

void RingBuffer::take(RingBuffer& o) {
  pool_ = o.pool_;
  buf_ = std::exchange(o.buf_, nullptr);
  cap_ = o.cap_;
  alloc_ = std::exchange(o.alloc_, 0);
  head_ = std::exchange(o.head_, 0);
  len_ = std::exchange(o.len_, 0);
}

std::span<std::uint8_t> RingBuffer::back_view(std::size_t want) {
  std::size_t n = room(0, want, false, true);
  if (n == 0 || !reserve(len_ + n)) return {};
  std::size_t start = index(len_);
  return {buf_ + start, std::min(n, alloc_ - start)};
}

std::size_t RingBuffer::commit(std::size_t n) {
  // Never past the storage: bytes beyond it were not written (a caller
  // committing more than back_view() gave).
  n = std::min(n, alloc_ - len_);
  len_ += n;
  return n;
}

}  // namespace synack
