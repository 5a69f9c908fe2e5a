#include "core/ring_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace synack {

void RingBuffer::copy_in(std::size_t logical, std::span<const std::uint8_t> data) {
  if (data.empty()) return;  // memcpy must not see a null pointer
  if (!buf_) buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(cap_);
  std::size_t start = index(logical);
  std::size_t first = std::min(data.size(), cap_ - start);
  std::memcpy(buf_.get() + start, data.data(), first);
  if (first < data.size()) std::memcpy(buf_.get(), data.data() + first, data.size() - first);
}

std::size_t RingBuffer::push(std::span<const std::uint8_t> data) {
  std::size_t n = std::min(data.size(), free());
  if (n == 0) return 0;
  copy_in(len_, data.first(n));
  len_ += n;
  return n;
}

std::size_t RingBuffer::peek_at(std::size_t offset, std::span<std::uint8_t> out) const {
  if (offset >= len_) return 0;
  std::size_t n = std::min(out.size(), len_ - offset);
  if (n == 0) return 0;
  std::size_t start = index(offset);
  std::size_t first = std::min(n, cap_ - start);
  std::memcpy(out.data(), buf_.get() + start, first);
  if (first < n) std::memcpy(out.data() + first, buf_.get(), n - first);
  return n;
}

std::span<const std::uint8_t> RingBuffer::view_at(std::size_t offset, std::size_t n) const {
  if (offset >= len_) return {};
  n = std::min(n, len_ - offset);
  std::size_t start = index(offset);
  if (n == 0 || start + n > cap_) return {};
  return {buf_.get() + start, n};
}

std::size_t RingBuffer::pop(std::span<std::uint8_t> out) {
  std::size_t n = peek_at(0, out);
  discard(n);
  return n;
}

std::size_t RingBuffer::discard(std::size_t n) {
  n = std::min(n, len_);
  if (cap_ == 0) return 0;
  head_ = (head_ + n) % cap_;
  len_ -= n;
  return n;
}

std::size_t RingBuffer::write_at(std::size_t offset, std::span<const std::uint8_t> data) {
  if (offset >= free()) return 0;
  std::size_t n = std::min(data.size(), free() - offset);
  copy_in(len_ + offset, data.first(n));
  return n;
}

void RingBuffer::commit(std::size_t n) {
  len_ += std::min(n, free());
}

}  // namespace synack
