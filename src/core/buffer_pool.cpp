#include "core/buffer_pool.hpp"

#include <algorithm>

namespace synack {

BufferPool::~BufferPool() {
  trim();
}

BufferPool::SizeClass& BufferPool::size_class(std::size_t size) {
  for (SizeClass& c : classes_)
    if (c.size == size) return c;
  classes_.push_back(SizeClass{size, {}});
  return classes_.back();
}

void BufferPool::update_pressure() {
  if (budget_ == 0) return;  // always under pressure
  const std::size_t held = stats_.outstanding_bytes;
  if (!pressure_ && held >= budget_ - budget_ / 3) {
    pressure_ = true;
    ++stats_.pressure_entered;
  } else if (pressure_ && held < budget_ - budget_ / 2) {
    pressure_ = false;
  }
}

std::uint8_t* BufferPool::try_acquire(std::size_t size) {
  return size > headroom() ? nullptr : acquire(size);
}

std::uint8_t* BufferPool::acquire(std::size_t size) {
  if (size > headroom()) ++stats_.forced;
  return acquire_unbudgeted(size);
}

std::uint8_t* BufferPool::acquire_unbudgeted(std::size_t size) {
  ++stats_.acquired;
  stats_.outstanding_bytes += size;
  stats_.peak_outstanding_bytes = std::max(stats_.peak_outstanding_bytes, stats_.outstanding_bytes);
  update_pressure();
  SizeClass& c = size_class(size);
  if (!c.free.empty()) {
    std::uint8_t* b = c.free.back();
    c.free.pop_back();
    stats_.cached_bytes -= size;
    ++stats_.reused;
    return b;
  }
  return new std::uint8_t[size];
}

void BufferPool::release(std::uint8_t* block, std::size_t size) {
  ++stats_.released;
  stats_.outstanding_bytes -= size;
  update_pressure();
  SizeClass& c = size_class(size);
  // Past the bound a block is freed, unless it is the only one of its size
  // kept: a buffer larger than the bound (6 MiB receive rings against 4 MiB)
  // would otherwise go to the allocator on every burst.
  if (stats_.cached_bytes + size > max_cached_ && !c.free.empty()) {
    ++stats_.freed;
    delete[] block;
    return;
  }
  c.free.push_back(block);
  stats_.cached_bytes += size;
}

void BufferPool::trim() {
  for (SizeClass& c : classes_) {
    for (std::uint8_t* b : c.free)
      delete[] b;
    c.free.clear();
  }
  stats_.cached_bytes = 0;
}

}  // namespace synack
