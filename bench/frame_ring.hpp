#pragma once
// A queue of frames for the benchmarks' in-memory wires: a ring of slots
// whose storage is kept, so that once it has grown to the most frames ever
// in flight, queueing and taking frames allocates nothing (a queue that
// resets only when empty would grow for good under a sender that is never
// fully drained).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace synack::bench {

class FrameRing {
 public:
  bool empty() const { return count_ == held_; }
  // Copies `frame` into the next free slot.
  void push(std::span<const std::uint8_t> frame) {
    if (count_ == slots_.size()) grow();
    slots_[(head_ + count_) % slots_.size()].assign(frame.begin(), frame.end());
    ++count_;
  }
  // The oldest frame; its bytes stay valid until the next pop() (the slot is
  // freed then), as Device::receive() promises.
  std::optional<std::span<const std::uint8_t>> pop() {
    if (held_) {
      head_ = (head_ + 1) % slots_.size();
      --count_;
      held_ = 0;
    }
    if (count_ == 0) return std::nullopt;
    held_ = 1;
    return std::span<const std::uint8_t>(slots_[head_]);
  }

 private:
  // Makes the ring start at slot 0 and adds a slot at its end. Moving a
  // slot keeps its heap storage, so a held frame's bytes stay where they are.
  void grow() {
    std::vector<std::vector<std::uint8_t>> next;
    next.reserve(slots_.size() * 2 + 4);
    for (std::size_t i = 0; i < slots_.size(); ++i)
      next.push_back(std::move(slots_[(head_ + i) % slots_.size()]));
    next.resize(next.capacity());
    slots_ = std::move(next);
    head_ = 0;
  }

  std::vector<std::vector<std::uint8_t>> slots_;
  std::size_t head_ = 0;   // the oldest frame (the held one, if any)
  std::size_t count_ = 0;  // frames queued, the held one included
  std::size_t held_ = 0;   // 1 while pop()'s last frame is in use
};

}  // namespace synack::bench
