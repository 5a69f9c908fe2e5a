#pragma once
// Recycles the byte blocks that connections' ring buffers are made of. A
// block given back is kept (up to a bound on cached bytes, 4 MiB by default,
// past which only the first block of each size is kept) and handed out
// again for the next request of the same size, so connections that open,
// move data and close — or buffers that empty and fill again — stop going to
// the allocator, and a buffer can let its block go the moment it is empty
// (an idle connection holds none) without paying for that on the next byte.
// Blocks come in a few sizes per stack (the first allocation, then doublings
// up to the configured buffer size), so each size has its own free list.
//
// The pool also keeps the stack's byte budget for buffer memory, like
// Linux's tcp_mem: try_acquire() refuses a block that would take the bytes
// handed out past it, and rings then hold what they have (a send is cut
// short, a receive window stops growing, data past it is dropped). A ring
// with nothing stored may always take its first block (acquire()), as Linux
// forces one buffer's worth onto an empty queue (sk_forced_mem_schedule):
// every connection keeps moving, a page at a time, however full the budget.
// Like tcp_mem's middle value, the pool is under pressure from two thirds of
// the budget until the bytes held fall below half of it: buffers then offer
// no growth (windows and writes stay within the storage they hold), so the
// windows offered before seldom meet the hard limit, where bytes are dropped.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synack {

struct BufferPoolStats {
  std::uint64_t acquired = 0;          // blocks handed out
  std::uint64_t reused = 0;            // of those, taken from a free list
  std::uint64_t released = 0;          // blocks given back
  std::uint64_t freed = 0;             // of those, returned to the allocator (cache full)
  std::uint64_t forced = 0;            // buffers' first blocks handed out past the budget
  std::uint64_t refusals = 0;          // writes and receives held short (note_refusal())
  std::uint64_t pressure_entered = 0;  // times under_pressure() became true (after construction)
  std::size_t cached_bytes = 0;
  std::size_t outstanding_bytes = 0;  // handed out and not given back
  std::size_t peak_outstanding_bytes = 0;
};

class BufferPool {
 public:
  static constexpr std::size_t kDefaultCacheBytes = 4 * 1024 * 1024;
  static constexpr std::size_t kUnlimited = ~std::size_t{0};

  explicit BufferPool(std::size_t max_cached_bytes = kDefaultCacheBytes,
                      std::size_t budget_bytes = kUnlimited)
      : max_cached_(max_cached_bytes),
        budget_(budget_bytes),
        pressure_(budget_bytes == 0) {}  // a zero budget is always under pressure
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A block of exactly `size` bytes, uninitialised, budget or not (counted
  // in stats().forced when past it).
  std::uint8_t* acquire(std::size_t size);
  // The same for storage that must not be refused and is not a buffer's
  // (the records of segments in flight): held like the rest, never counted
  // as forced.
  std::uint8_t* acquire_unbudgeted(std::size_t size);
  // The same within the budget: nullptr when the block would take the bytes
  // handed out past it.
  std::uint8_t* try_acquire(std::size_t size);
  // Bytes try_acquire() may still hand out (0 when at or past the budget).
  std::size_t headroom() const {
    return stats_.outstanding_bytes >= budget_ ? 0 : budget_ - stats_.outstanding_bytes;
  }
  std::size_t budget() const { return budget_; }
  // Buffers should offer no growth (see above).
  bool under_pressure() const { return pressure_; }
  // A ring wanted more storage than headroom() allowed (counted once per
  // write or received segment held short).
  void note_refusal() { ++stats_.refusals; }
  // Gives back a block acquire(size) returned.
  void release(std::uint8_t* block, std::size_t size);
  // Returns every cached block to the allocator.
  void trim();

  const BufferPoolStats& stats() const { return stats_; }

 private:
  struct SizeClass {
    std::size_t size;
    std::vector<std::uint8_t*> free;
  };
  SizeClass& size_class(std::size_t size);
  void update_pressure();

  std::size_t max_cached_;
  std::size_t budget_;
  bool pressure_ = false;
  std::vector<SizeClass> classes_;
  BufferPoolStats stats_;
};

}  // namespace synack
