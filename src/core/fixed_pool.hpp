#pragma once
// A pool of objects with a fixed capacity chosen at construction (lwIP-style
// memory discipline): no allocation after start-up, usage statistics, and a
// live count that tests check for leaks.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace synack {

struct PoolStats {
  std::size_t capacity = 0;
  std::size_t live = 0;
  std::size_t high_water = 0;
  std::size_t allocations = 0;
  std::size_t failures = 0;  // allocate() found the pool exhausted
};

template <typename T>
class FixedPool {
 public:
  // The slots' storage is left untouched until used, so a large capacity
  // costs address space, not memory (the OS maps pages on first write).
  explicit FixedPool(std::size_t capacity)
      : slots_(std::make_unique_for_overwrite<Slot[]>(capacity)),
        used_(capacity, 0),
        free_(capacity) {
    stats_.capacity = capacity;
    for (std::size_t i = 0; i < capacity; ++i)
      free_[i] = capacity - 1 - i;
  }
  ~FixedPool() {
    for (std::size_t i = 0; i < stats_.capacity; ++i)
      if (used_[i]) destroy_slot(i);
  }
  FixedPool(const FixedPool&) = delete;
  FixedPool& operator=(const FixedPool&) = delete;

  // Returns nullptr when the pool is exhausted.
  template <typename... Args>
  T* allocate(Args&&... args) {
    if (free_.empty()) {
      ++stats_.failures;
      return nullptr;
    }
    std::size_t i = free_.back();
    free_.pop_back();
    T* obj = new (slots_[i].storage) T(std::forward<Args>(args)...);
    used_[i] = 1;
    ++stats_.live;
    ++stats_.allocations;
    if (stats_.live > stats_.high_water) stats_.high_water = stats_.live;
    return obj;
  }

  void release(T* obj) {
    std::size_t i = index_of(obj);
    destroy_slot(i);
    free_.push_back(i);
  }

  const PoolStats& stats() const { return stats_; }
  std::size_t live() const { return stats_.live; }

 private:
  struct Slot {
    alignas(T) unsigned char storage[sizeof(T)];
  };

  std::size_t index_of(T* obj) const {
    return static_cast<std::size_t>(reinterpret_cast<Slot*>(obj) - slots_.get());
  }
  void destroy_slot(std::size_t i) {
    std::launder(reinterpret_cast<T*>(slots_[i].storage))->~T();
    used_[i] = 0;
    --stats_.live;
  }

  std::unique_ptr<Slot[]> slots_;
  std::vector<unsigned char> used_;
  std::vector<std::size_t> free_;
  PoolStats stats_;
};

}  // namespace synack
