#pragma once
// A FIFO queue on a ring of slots that keeps its storage: once it has grown
// to the most items ever queued, push and pop allocate nothing (std::deque
// allocates and frees a block every few hundred bytes of items as it
// moves). Items are moved in and out, so a queue of byte vectors hands
// their buffers along rather than copying them.
#include <cstddef>
#include <utility>
#include <vector>

namespace synack {

template <typename T>
class RingQueue {
 public:
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  void push(T item) {
    if (count_ == slots_.size()) grow();
    slots_[(head_ + count_) & mask()] = std::move(item);
    ++count_;
  }
  T& front() { return slots_[head_]; }
  // Moves the oldest item out. The queue must not be empty.
  T pop() {
    T item = std::move(slots_[head_]);
    head_ = (head_ + 1) & mask();
    --count_;
    return item;
  }

 private:
  // The ring's size is a power of two (8, then doublings).
  std::size_t mask() const { return slots_.size() - 1; }
  // Doubles the ring, its items first and in order.
  void grow() {
    // Sized exactly (not by capacity()), so the size stays a power of two.
    std::vector<T> next(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i)
      next[i] = std::move(slots_[(head_ + i) & mask()]);
    slots_ = std::move(next);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace synack
