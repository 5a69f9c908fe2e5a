#pragma once
// Recycles the byte blocks that connections' ring buffers are made of. A
// block given back is kept (up to a bound on cached bytes, 4 MiB by default) and handed out
// again for the next request of the same size, so connections that open,
// move data and close — or buffers that empty and fill again — stop going to
// the allocator, and a buffer can let its block go the moment it is empty
// (an idle connection holds none) without paying for that on the next byte.
// Blocks come in a few sizes per stack (the first allocation, then doublings
// up to the configured buffer size), so each size has its own free list.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synack {

struct BufferPoolStats {
  std::uint64_t acquired = 0;  // blocks handed out
  std::uint64_t reused = 0;    // of those, taken from a free list
  std::uint64_t released = 0;  // blocks given back
  std::uint64_t freed = 0;     // of those, returned to the allocator (cache full)
  std::size_t cached_bytes = 0;
  std::size_t outstanding_bytes = 0;  // handed out and not given back
};

class BufferPool {
 public:
  static constexpr std::size_t kDefaultCacheBytes = 4 * 1024 * 1024;

  explicit BufferPool(std::size_t max_cached_bytes = kDefaultCacheBytes)
      : max_cached_(max_cached_bytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A block of exactly `size` bytes, uninitialised.
  std::uint8_t* acquire(std::size_t size);
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

  std::size_t max_cached_;
  std::vector<SizeClass> classes_;
  BufferPoolStats stats_;
};

}  // namespace synack
