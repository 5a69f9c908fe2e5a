// BufferPool, and RingBuffer drawing its blocks from one.
#include "core/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/ring_buffer.hpp"

namespace synack {
namespace {

TEST(BufferPool, AGivenBackBlockIsHandedOutAgainForTheSameSize) {
  BufferPool pool;
  std::uint8_t* a = pool.acquire(4096);
  pool.release(a, 4096);
  EXPECT_EQ(pool.stats().cached_bytes, 4096u);
  std::uint8_t* other = pool.acquire(8192);  // another size: a new block
  EXPECT_NE(other, a);
  EXPECT_EQ(pool.acquire(4096), a);
  EXPECT_EQ(pool.stats().acquired, 3u);
  EXPECT_EQ(pool.stats().reused, 1u);
  EXPECT_EQ(pool.stats().cached_bytes, 0u);
  EXPECT_EQ(pool.stats().outstanding_bytes, 4096u + 8192u);
  pool.release(a, 4096);
  pool.release(other, 8192);
  EXPECT_EQ(pool.stats().outstanding_bytes, 0u);
}

TEST(BufferPool, CachesNoMoreThanItsBound) {
  BufferPool pool(10000);
  std::uint8_t* a = pool.acquire(6000);
  std::uint8_t* b = pool.acquire(6000);
  pool.release(a, 6000);
  pool.release(b, 6000);  // would make 12000 cached: freed
  EXPECT_EQ(pool.stats().cached_bytes, 6000u);
  EXPECT_EQ(pool.stats().freed, 1u);
  pool.trim();
  EXPECT_EQ(pool.stats().cached_bytes, 0u);
}

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t first) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(RingBufferWithPool, AnEmptyRingGivesItsWholeBlockBack) {
  BufferPool pool;
  RingBuffer r(256 * 1024, &pool);
  auto in = bytes(1000, 7);
  ASSERT_EQ(r.push(in), 1000u);
  EXPECT_EQ(r.allocated(), RingBuffer::kFirstAllocation);
  std::vector<std::uint8_t> out(1000);
  ASSERT_EQ(r.pop(out), 1000u);
  EXPECT_EQ(out, in);
  r.release_if_empty();
  EXPECT_EQ(r.allocated(), 0u);
  EXPECT_EQ(pool.stats().cached_bytes, RingBuffer::kFirstAllocation);
  // The next byte takes the cached block back: no allocation.
  ASSERT_EQ(r.push(in), 1000u);
  EXPECT_EQ(pool.stats().reused, 1u);
  EXPECT_EQ(pool.stats().cached_bytes, 0u);
}

TEST(RingBufferWithPool, GrowingKeepsTheBytesAndReturnsTheSmallerBlock) {
  BufferPool pool;
  RingBuffer r(256 * 1024, &pool);
  auto a = bytes(60 * 1024, 1);
  ASSERT_EQ(r.push(a), a.size());
  std::vector<std::uint8_t> skip(50 * 1024);
  r.pop(skip);  // head moves: the ring wraps on the next push
  auto b = bytes(100 * 1024, 3);
  ASSERT_EQ(r.push(b), b.size());
  EXPECT_EQ(r.allocated(), 128u * 1024);
  EXPECT_EQ(pool.stats().cached_bytes, 64u * 1024);  // the old block
  std::vector<std::uint8_t> out(r.size());
  ASSERT_EQ(r.pop(out), out.size());
  std::vector<std::uint8_t> want(a.begin() + 50 * 1024, a.end());
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(out, want);
}

TEST(RingBufferWithPool, DestroyedAndMovedRingsGiveTheirBlocksBack) {
  BufferPool pool;
  {
    RingBuffer r(8192, &pool);
    r.push(bytes(100, 0));
    RingBuffer moved(std::move(r));
    EXPECT_EQ(moved.size(), 100u);
    EXPECT_EQ(pool.stats().outstanding_bytes, RingBuffer::kFirstAllocation);
  }
  EXPECT_EQ(pool.stats().outstanding_bytes, 0u);
  EXPECT_EQ(pool.stats().cached_bytes, RingBuffer::kFirstAllocation);
}

}  // namespace
}  // namespace synack
