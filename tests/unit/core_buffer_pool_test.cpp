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
  // A block larger than the bound is still kept when it is the only one of
  // its size, so a buffer bigger than the cache does not go to the
  // allocator on every burst.
  std::uint8_t* big = pool.acquire(20000);
  pool.release(big, 20000);
  EXPECT_EQ(pool.stats().cached_bytes, 26000u);
  EXPECT_EQ(pool.acquire(20000), big);
  pool.release(big, 20000);
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

// The budget (Linux's tcp_mem): try_acquire() refuses past it, acquire()
// does not but counts the block as forced; cached blocks do not count.
TEST(BufferPool, TryAcquireRefusesPastTheBudgetAndAcquireCountsWhatItForces) {
  BufferPool pool(BufferPool::kDefaultCacheBytes, 10000);
  EXPECT_EQ(pool.headroom(), 10000u);
  std::uint8_t* a = pool.try_acquire(8192);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(pool.headroom(), 1808u);
  EXPECT_EQ(pool.try_acquire(4096), nullptr);
  EXPECT_EQ(pool.stats().acquired, 1u);
  std::uint8_t* b = pool.acquire(4096);  // past the budget, granted
  EXPECT_EQ(pool.stats().forced, 1u);
  EXPECT_EQ(pool.headroom(), 0u);
  EXPECT_EQ(pool.stats().peak_outstanding_bytes, 8192u + 4096u);
  pool.release(a, 8192);
  pool.release(b, 4096);
  EXPECT_EQ(pool.stats().cached_bytes, 8192u + 4096u);
  EXPECT_EQ(pool.headroom(), 10000u);  // cached blocks are not held
  EXPECT_EQ(pool.try_acquire(8192), a);
  pool.release(a, 8192);
}

// Under a budget a ring stores what the budget lets it grow to: an empty
// ring its first block at least (granted past the budget), a ring holding
// storage the doublings that fit; the shortfall is counted once per write.
TEST(RingBufferWithPool, TheBudgetBoundsGrowthButAnEmptyRingGetsItsFirstBlock) {
  BufferPool pool(BufferPool::kDefaultCacheBytes, 12 * 1024);
  RingBuffer r(256 * 1024, &pool);
  EXPECT_EQ(r.free(), 256u * 1024);
  EXPECT_EQ(r.storable(), 8u * 1024);  // 4 KiB, then 8 KiB; 16 KiB is past 12
  auto in = bytes(20000, 1);
  EXPECT_EQ(r.push(in), 8192u);
  EXPECT_EQ(r.allocated(), 8192u);
  EXPECT_EQ(pool.stats().refusals, 1u);
  EXPECT_EQ(r.storable(), 0u);
  EXPECT_EQ(r.push(in), 0u);
  EXPECT_EQ(pool.stats().refusals, 2u);
  EXPECT_TRUE(r.back_view(10).empty());
  // A second ring finds 4 KiB of headroom: its first block, no more.
  RingBuffer other(256 * 1024, &pool);
  EXPECT_EQ(other.storable(), 4096u);
  EXPECT_EQ(other.push(in), 4096u);
  EXPECT_EQ(pool.stats().forced, 0u);
  // A third, with none left, still gets its first block (forced).
  RingBuffer third(256 * 1024, &pool);
  EXPECT_EQ(pool.headroom(), 0u);
  EXPECT_EQ(third.storable(), 4096u);
  EXPECT_EQ(third.write_at(100, in), 3996u);  // clipped at the block
  EXPECT_EQ(pool.stats().forced, 1u);
  // Bytes read from the first ring make room in its own block again.
  std::vector<std::uint8_t> out(5000);
  ASSERT_EQ(r.pop(out), 5000u);
  EXPECT_EQ(std::vector<std::uint8_t>(in.begin(), in.begin() + 5000), out);
  EXPECT_EQ(r.storable(), 5000u);
  EXPECT_EQ(r.push(in), 5000u);
  EXPECT_EQ(pool.stats().peak_outstanding_bytes, 8192u + 4096u + 4096u);
}

// With headroom for a doubling the ring grows and keeps its bytes; the old
// block goes back afterwards, so the headroom must cover the new one whole.
TEST(RingBufferWithPool, GrowthNeedsHeadroomForTheWholeNewBlock) {
  BufferPool pool(BufferPool::kDefaultCacheBytes, 4096 + 8192);
  RingBuffer r(64 * 1024, &pool);
  auto in = bytes(10000, 9);
  ASSERT_EQ(r.push(std::span(in).first(4096)), 4096u);
  EXPECT_EQ(r.storable(), 8192u - 4096u);  // 8 KiB fits beside 4 KiB; 16 KiB does not
  ASSERT_EQ(r.push(std::span(in).subspan(4096)), 4096u);
  EXPECT_EQ(r.allocated(), 8192u);
  EXPECT_EQ(pool.stats().outstanding_bytes, 8192u);
  std::vector<std::uint8_t> out(8192);
  ASSERT_EQ(r.pop(out), 8192u);
  EXPECT_EQ(out, std::vector<std::uint8_t>(in.begin(), in.begin() + 8192));
}

// Pressure, as tcp_mem's middle value: on from two thirds of the budget, off
// again below half of it. Under it a ring offers no growth (storable()), but
// still takes bytes that need growth within the budget (acceptable()).
TEST(BufferPool, PressureTurnsOnAtTwoThirdsAndOffBelowHalf) {
  BufferPool pool(BufferPool::kDefaultCacheBytes, 12 * 1024);
  EXPECT_FALSE(pool.under_pressure());
  std::uint8_t* a = pool.acquire(4096);
  std::uint8_t* b = pool.acquire(2048);
  EXPECT_FALSE(pool.under_pressure());  // 6 KiB of 12
  std::uint8_t* c = pool.acquire(2048);
  EXPECT_TRUE(pool.under_pressure());  // 8 KiB: two thirds
  EXPECT_EQ(pool.stats().pressure_entered, 1u);
  pool.release(c, 2048);
  EXPECT_TRUE(pool.under_pressure());  // 6 KiB: not below half yet
  pool.release(b, 2048);
  EXPECT_FALSE(pool.under_pressure());  // 4 KiB
  pool.release(a, 4096);
  EXPECT_EQ(pool.stats().pressure_entered, 1u);

  BufferPool none(BufferPool::kDefaultCacheBytes, 0);
  EXPECT_TRUE(none.under_pressure());  // a zero budget: always
  EXPECT_EQ(none.stats().pressure_entered, 0u);
  BufferPool one(BufferPool::kDefaultCacheBytes, 1);
  std::uint8_t* x = one.acquire(1);
  EXPECT_TRUE(one.under_pressure());
  one.release(x, 1);
  EXPECT_FALSE(one.under_pressure());
}

TEST(RingBufferWithPool, UnderPressureARingOffersNoGrowthButAcceptsWithinTheBudget) {
  BufferPool pool(BufferPool::kDefaultCacheBytes, 64 * 1024);
  RingBuffer r(256 * 1024, &pool);
  ASSERT_EQ(r.push(bytes(1000, 0)), 1000u);       // a 4 KiB block
  EXPECT_EQ(r.storable(), 32u * 1024 - 1000);     // 32 KiB beside 4 fits; 64 does not
  std::uint8_t* other = pool.acquire(40 * 1024);  // another ring's: 44 KiB held
  ASSERT_TRUE(pool.under_pressure());
  EXPECT_EQ(r.storable(), 4096u - 1000);         // no growth offered
  EXPECT_EQ(r.acceptable(), 16u * 1024 - 1000);  // 16 KiB still fits the budget
  auto in = bytes(10000, 3);
  EXPECT_EQ(r.write_at(0, in), 10000u);  // bytes a window offered earlier: taken
  EXPECT_EQ(r.allocated(), 16u * 1024);
  EXPECT_EQ(r.commit(10000), 10000u);
  // A write fills the storage held, and no more.
  EXPECT_EQ(r.push(in), 16u * 1024 - 11000);
  EXPECT_EQ(r.push(in), 0u);
  pool.release(other, 40 * 1024);
}

}  // namespace
}  // namespace synack
