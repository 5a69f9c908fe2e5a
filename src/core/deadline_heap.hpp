#pragma once
// A timer index: the items with a deadline, in a binary min-heap ordered by
// (deadline, address) — the order of the std::set<pair<Instant, T*>> it
// replaces, so timers due at the same instant fire in the same order. Each
// item records its own slot (intrusive), so moving or removing one is
// O(log n), the earliest is O(1), and once the heap's vector has grown,
// arming a timer never allocates. T provides two public members:
//   Instant indexed_deadline = kNever;  // its key here
//   std::size_t timer_slot = DeadlineHeap<T>::kNotQueued;
#include <cstddef>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace synack {

template <typename T>
class DeadlineHeap {
 public:
  static constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // The earliest deadline; kNever when empty.
  Instant earliest() const { return heap_.empty() ? kNever : heap_.front()->indexed_deadline; }
  // The item with the earliest deadline; the heap must not be empty.
  T* top() const { return heap_.front(); }

  // Files t under `deadline`; kNever takes it out.
  void update(T* t, Instant deadline) {
    if (t->timer_slot == kNotQueued) {
      if (deadline == kNever) return;
      t->indexed_deadline = deadline;
      heap_.push_back(t);
      sift_up(heap_.size() - 1);
      return;
    }
    if (deadline == t->indexed_deadline) return;
    std::size_t slot = t->timer_slot;
    if (deadline == kNever) {
      t->indexed_deadline = kNever;
      t->timer_slot = kNotQueued;
      T* last = heap_.back();
      heap_.pop_back();
      if (last == t) return;
      place(slot, last);
      sift_up(slot);
      sift_down(last->timer_slot);
      return;
    }
    bool earlier = deadline < t->indexed_deadline;
    t->indexed_deadline = deadline;
    if (earlier)
      sift_up(slot);
    else
      sift_down(slot);
  }
  void remove(T* t) { update(t, kNever); }
  // Takes every item out.
  void clear() {
    for (T* t : heap_) {
      t->indexed_deadline = kNever;
      t->timer_slot = kNotQueued;
    }
    heap_.clear();
  }

 private:
  static bool before(const T* a, const T* b) {
    if (a->indexed_deadline != b->indexed_deadline)
      return a->indexed_deadline < b->indexed_deadline;
    return std::less<const T*>{}(a, b);
  }
  void place(std::size_t slot, T* t) {
    heap_[slot] = t;
    t->timer_slot = slot;
  }
  void sift_up(std::size_t slot) {
    T* t = heap_[slot];
    while (slot > 0) {
      std::size_t parent = (slot - 1) / 2;
      if (!before(t, heap_[parent])) break;
      place(slot, heap_[parent]);
      slot = parent;
    }
    place(slot, t);
  }
  void sift_down(std::size_t slot) {
    T* t = heap_[slot];
    for (;;) {
      std::size_t child = 2 * slot + 1;
      if (child >= heap_.size()) break;
      if (child + 1 < heap_.size() && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], t)) break;
      place(slot, heap_[child]);
      slot = child;
    }
    place(slot, t);
  }

  std::vector<T*> heap_;
};

}  // namespace synack
