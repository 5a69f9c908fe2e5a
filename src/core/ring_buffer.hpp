#pragma once
// A fixed-capacity byte ring. The send side keeps unacknowledged bytes at the
// front (peek by offset, discard when acked); the receive side writes
// out-of-order bytes past the readable end (write_at) and commits them once the
// gap before them fills.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/buffer_pool.hpp"

namespace synack {

class RingBuffer {
 public:
  // Storage starts at this size (or the capacity, if smaller): a page, so a
  // connection that moves a few bytes holds a few bytes' worth.
  static constexpr std::size_t kFirstAllocation = 4096;
  // The storage is allocated on the first write, uninitialised, and grows
  // by doubling (from kFirstAllocation) up to the capacity as bytes are stored: an idle
  // connection costs no buffer memory, a large capacity costs only what is
  // used, and nothing is zero-filled.
  //
  // With a BufferPool, blocks come from and go back to it (it must outlive
  // the ring), and an empty ring gives its whole block back (see
  // release_if_empty()). The pool's byte budget then bounds growth: past
  // it the ring stores only what its present block holds (storable()), but
  // an empty ring may always take its first block, so it never stalls.
  explicit RingBuffer(std::size_t capacity, BufferPool* pool = nullptr)
      : pool_(pool), cap_(capacity) {}
  ~RingBuffer() { free_storage(); }
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  RingBuffer(RingBuffer&& o) noexcept { take(o); }
  RingBuffer& operator=(RingBuffer&& o) noexcept {
    if (this != &o) {
      free_storage();
      take(o);
    }
    return *this;
  }

  std::size_t capacity() const { return cap_; }
  std::size_t size() const { return len_; }
  std::size_t free() const { return cap_ - len_; }
  // What push() would store now: free(), or less when the pool's budget
  // would not let the storage grow that far. What a connection may offer
  // its peer (receive window) or its writer (send space).
  // Under the pool's pressure it offers no growth (see BufferPool).
  std::size_t storable() const { return reachable(true); }
  // What write_at() takes: growth within the budget even under pressure,
  // so bytes inside a window offered before pressure are not dropped while
  // the budget has room.
  std::size_t acceptable() const { return reachable(false); }
  bool empty() const { return len_ == 0; }

  // Appends as much of `data` as fits (storable()); returns the count
  // appended.
  std::size_t push(std::span<const std::uint8_t> data);
  // Moves up to out.size() bytes from the front into `out`.
  std::size_t pop(std::span<std::uint8_t> out);
  // Copies bytes starting `offset` bytes past the front, without consuming.
  std::size_t peek_at(std::size_t offset, std::span<std::uint8_t> out) const;
  // The bytes [offset, offset + n) in place when they do not wrap (no copy),
  // else an empty span; n is clipped to what is stored.
  std::span<const std::uint8_t> view_at(std::size_t offset, std::size_t n) const;
  // The longest readable run at the front, in place.
  std::span<const std::uint8_t> front_view() const {
    return len_ == 0 ? std::span<const std::uint8_t>{}
                     : std::span<const std::uint8_t>(buf_ + head_, std::min(len_, alloc_ - head_));
  }
  // Zero-copy writing: free space at the readable end, in place, for up to
  // `want` bytes (growing the storage as push() would). It may be shorter
  // than `want` even when more is free: the ring wraps there. Fill it, then
  // commit() what was written; a later call may return the same space again.
  std::span<std::uint8_t> back_view(std::size_t want);
  // Drops up to n bytes from the front.
  std::size_t discard(std::size_t n);
  // Writes into free space `offset` bytes past the readable end (not yet
  // readable); returns the count written (clipped at capacity and at
  // acceptable()).
  std::size_t write_at(std::size_t offset, std::span<const std::uint8_t> data);
  // Makes n bytes written by write_at at offset 0.. (or into back_view())
  // readable; returns how many (never past the storage).
  std::size_t commit(std::size_t n);
  // Frees storage once nothing is stored, so a burst does not pin megabytes
  // for the connection's life; the next write allocates again. Without a
  // pool only growth past the first allocation is freed (the allocator is
  // slow to ask again); with one the whole block goes back to it, so an idle
  // connection holds no buffer memory. The caller knows nothing sits
  // written ahead (write_at).
  void release_if_empty();
  // Bytes of storage allocated so far (at most capacity()).
  std::size_t allocated() const { return alloc_; }

 private:
  std::size_t index(std::size_t logical) const { return (head_ + logical) % alloc_; }
  // The storage size after `size` when growing: the first allocation, then
  // doublings, capped at the capacity.
  std::size_t grown_size(std::size_t size) const {
    return size == 0 ? std::min(cap_, kFirstAllocation) : std::min(size * 2, cap_);
  }
  // Of n bytes wanted `offset` bytes past the readable end, how many fit in
  // the capacity and the budget; with `count`, a shortfall of budget is
  // counted as a refusal (a write or a receive; not back_view()'s want,
  // which is only a hint).
  std::size_t room(std::size_t offset, std::size_t n, bool count, bool offer) const;
  // storable() (offer) or acceptable().
  std::size_t reachable(bool offer) const;
  // Makes room for `logical` bytes past the front (readable or written
  // ahead); false when the pool refused the storage.
  bool reserve(std::size_t logical);
  bool copy_in(std::size_t logical, std::span<const std::uint8_t> data);
  std::uint8_t* allocate(std::size_t n);
  void free_storage();
  void take(RingBuffer& o);

  BufferPool* pool_ = nullptr;
  std::uint8_t* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t alloc_ = 0;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace synack
