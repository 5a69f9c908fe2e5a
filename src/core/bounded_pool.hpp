#pragma once
// A pool of objects that grows on demand, chunk by chunk, up to a bound set
// at construction: memory follows the number of objects in use, not the
// bound (which may be a million connections), and no allocation happens
// once the pool has grown to the busiest moment's size. Usage statistics,
// and a live count that tests check for leaks; an allocation past the bound
// fails and is counted.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace synack {

struct PoolStats {
  std::size_t capacity = 0;  // the bound
  std::size_t reserved = 0;  // slots in the chunks allocated so far
  std::size_t live = 0;
  std::size_t high_water = 0;
  std::size_t allocations = 0;
  std::size_t failures = 0;  // allocate() found the pool at its bound
};

template <typename T>
class BoundedPool {
 public:
  // Chunks double from kFirstChunk slots to kMaxChunk, then stay there.
  static constexpr std::size_t kFirstChunk = 64;
  static constexpr std::size_t kMaxChunk = 4096;

  explicit BoundedPool(std::size_t capacity) { stats_.capacity = capacity; }
  ~BoundedPool() {
    // Slots past a chunk's frontier were never handed out.
    for (Chunk& c : chunks_)
      for (std::size_t i = 0; i < c.frontier; ++i)
        if (c.slots[i].used) destroy(c.slots[i]);
  }
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Returns nullptr when the pool is at its bound or the allocator has no
  // memory for another chunk. If T's constructor throws, the slot goes back
  // on the free list and the exception propagates.
  template <typename... Args>
  T* allocate(Args&&... args) {
    Slot* s = take_slot();
    if (s == nullptr) {
      ++stats_.failures;
      return nullptr;
    }
    T* obj;
    try {
      obj = new (s->storage) T(std::forward<Args>(args)...);
    } catch (...) {
      push_free(s);
      throw;
    }
    s->used = true;
    ++stats_.live;
    ++stats_.allocations;
    stats_.high_water = std::max(stats_.high_water, stats_.live);
    return obj;
  }

  void release(T* obj) {
    // The storage is the slot's first member.
    Slot* s = reinterpret_cast<Slot*>(reinterpret_cast<unsigned char*>(obj));
    destroy(*s);
    push_free(s);
  }

  const PoolStats& stats() const { return stats_; }
  std::size_t live() const { return stats_.live; }

 private:
  struct Slot {
    alignas(T) unsigned char storage[std::max(sizeof(T), sizeof(Slot*))];
    bool used;  // written when the slot is handed out; read only for those
  };
  struct Chunk {
    std::unique_ptr<Slot[]> slots;  // left untouched until handed out
    std::size_t size = 0;
    std::size_t frontier = 0;  // slots [0, frontier) have been handed out
  };

  // The free list runs through the free slots' storage.
  void push_free(Slot* s) {
    std::memcpy(s->storage, &free_, sizeof free_);
    free_ = s;
  }

  // Most recently freed first (its memory is likely in cache), then the
  // newest chunk's untouched slots in address order, then a new chunk.
  Slot* take_slot() {
    if (free_ != nullptr) {
      Slot* s = free_;
      std::memcpy(&free_, s->storage, sizeof free_);
      return s;
    }
    if (chunks_.empty() || chunks_.back().frontier == chunks_.back().size) {
      std::size_t room = stats_.capacity - stats_.reserved;
      if (room == 0) return nullptr;
      std::size_t want =
          chunks_.empty() ? kFirstChunk : std::min(2 * chunks_.back().size, kMaxChunk);
      Chunk c;
      c.size = std::min(want, room);
      c.slots.reset(new (std::nothrow) Slot[c.size]);
      if (!c.slots) return nullptr;
      chunks_.push_back(std::move(c));
      stats_.reserved += chunks_.back().size;
    }
    Chunk& c = chunks_.back();
    Slot* s = &c.slots[c.frontier++];
    s->used = false;  // until constructed: the destructor reads it
    return s;
  }
  void destroy(Slot& s) {
    std::launder(reinterpret_cast<T*>(s.storage))->~T();
    s.used = false;
    --stats_.live;
  }

  std::vector<Chunk> chunks_;
  Slot* free_ = nullptr;
  PoolStats stats_;
};

}  // namespace synack
