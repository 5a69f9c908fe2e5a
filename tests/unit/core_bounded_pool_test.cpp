// BoundedPool (objects in chunks that grow on demand up to a bound, with
// usage stats) and Result.
#include "core/bounded_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace synack {
namespace {

// Counts live instances so tests can see constructors and destructors run.
struct Tracked {
  static inline int live = 0;
  int a;
  std::string b;
  Tracked(int x, std::string y) : a(x), b(std::move(y)) { ++live; }
  ~Tracked() { --live; }
};

struct alignas(64) Wide {
  std::uint8_t bytes[64];
};

TEST(CoreBoundedPool, FreshPoolStats) {
  BoundedPool<int> pool(3);
  const PoolStats& s = pool.stats();
  EXPECT_EQ(s.capacity, 3u);
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.high_water, 0u);
  EXPECT_EQ(s.allocations, 0u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(pool.live(), 0u);
}

TEST(CoreBoundedPool, AllocateForwardsConstructorArguments) {
  Tracked::live = 0;
  {
    BoundedPool<Tracked> pool(2);
    Tracked* t = pool.allocate(42, "hello");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->a, 42);
    EXPECT_EQ(t->b, "hello");
    EXPECT_EQ(Tracked::live, 1);
    pool.release(t);
    EXPECT_EQ(Tracked::live, 0);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(CoreBoundedPool, ExhaustionReturnsNullAndCountsFailures) {
  BoundedPool<int> pool(2);
  int* a = pool.allocate(1);
  int* b = pool.allocate(2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.allocate(3), nullptr);
  EXPECT_EQ(pool.allocate(4), nullptr);
  EXPECT_EQ(pool.stats().failures, 2u);
  EXPECT_EQ(pool.stats().allocations, 2u);
  EXPECT_EQ(pool.live(), 2u);
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(*b, 2);
}

TEST(CoreBoundedPool, ReleaseMakesRoomAgainAndSlotIsReused) {
  BoundedPool<int> pool(2);
  int* a = pool.allocate(1);
  pool.allocate(2);
  pool.release(a);
  EXPECT_EQ(pool.live(), 1u);
  int* c = pool.allocate(3);
  EXPECT_EQ(c, a);  // the freed slot is handed out again
  EXPECT_EQ(*c, 3);
  EXPECT_EQ(pool.stats().allocations, 3u);
  EXPECT_EQ(pool.stats().failures, 0u);
}

TEST(CoreBoundedPool, HighWaterRemembersThePeak) {
  BoundedPool<int> pool(8);
  std::vector<int*> held;
  for (int i = 0; i < 5; ++i)
    held.push_back(pool.allocate(i));
  EXPECT_EQ(pool.stats().high_water, 5u);
  for (int* p : held)
    pool.release(p);
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_EQ(pool.stats().high_water, 5u);
  int* p = pool.allocate(0);
  EXPECT_EQ(pool.stats().high_water, 5u);
  pool.release(p);
  for (int i = 0; i < 8; ++i)
    pool.allocate(i);
  EXPECT_EQ(pool.stats().high_water, 8u);
  EXPECT_EQ(pool.stats().allocations, 14u);
}

TEST(CoreBoundedPool, AllSlotsAreDistinctAndUsable) {
  BoundedPool<std::uint64_t> pool(64);
  std::set<std::uint64_t*> seen;
  for (std::uint64_t i = 0; i < 64; ++i) {
    auto* p = pool.allocate(i * 1000);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(seen.insert(p).second);
  }
  std::uint64_t sum = 0;
  for (auto* p : seen)
    sum += *p;
  EXPECT_EQ(sum, 1000u * (63u * 64u / 2));
}

TEST(CoreBoundedPool, RespectsAlignment) {
  BoundedPool<Wide> pool(4);
  for (int i = 0; i < 4; ++i) {
    Wide* w = pool.allocate();
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w) % alignof(Wide), 0u);
  }
}

TEST(CoreBoundedPool, DestructorDestroysLiveObjects) {
  Tracked::live = 0;
  {
    BoundedPool<Tracked> pool(4);
    pool.allocate(1, "a");
    Tracked* t = pool.allocate(2, "b");
    pool.allocate(3, "c");
    pool.release(t);
    EXPECT_EQ(Tracked::live, 2);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(CoreBoundedPool, ZeroCapacityAlwaysFails) {
  BoundedPool<int> pool(0);
  EXPECT_EQ(pool.allocate(1), nullptr);
  EXPECT_EQ(pool.stats().failures, 1u);
  EXPECT_EQ(pool.stats().capacity, 0u);
}

TEST(CoreBoundedPool, ChurnKeepsCountsConsistent) {
  BoundedPool<int> pool(16);
  std::vector<int*> held;
  std::size_t allocs = 0, fails = 0;
  for (int i = 0; i < 1000; ++i) {
    if (i % 3 != 2) {
      int* p = pool.allocate(i);
      if (p) {
        held.push_back(p);
        ++allocs;
      } else {
        ++fails;
      }
    } else if (!held.empty()) {
      pool.release(held.back());
      held.pop_back();
    }
    ASSERT_EQ(pool.live(), held.size());
  }
  EXPECT_EQ(pool.stats().allocations, allocs);
  EXPECT_EQ(pool.stats().failures, fails);
  EXPECT_GT(fails, 0u);
  EXPECT_EQ(pool.stats().high_water, 16u);
}

TEST(CoreBoundedPool, AMillionSlotBoundCostsNothingUntilUsed) {
  BoundedPool<std::uint64_t> pool(1 << 20);
  EXPECT_EQ(pool.stats().capacity, 1u << 20);
  EXPECT_EQ(pool.stats().reserved, 0u);
  ASSERT_NE(pool.allocate(1), nullptr);
  EXPECT_EQ(pool.stats().reserved, BoundedPool<std::uint64_t>::kFirstChunk);
}

TEST(CoreBoundedPool, GrowsByDoublingChunksUpToTheLargest) {
  using Pool = BoundedPool<int>;
  Pool pool(1 << 20);
  std::vector<int*> held;
  std::size_t expect = 0, chunk = Pool::kFirstChunk;
  std::set<int*> seen;
  // Fill chunk after chunk and watch each new one appear only when the
  // previous is full.
  for (int round = 0; round < 9; ++round) {
    expect += chunk;
    while (held.size() < expect) {
      int* p = pool.allocate(static_cast<int>(held.size()));
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(seen.insert(p).second);
      held.push_back(p);
      ASSERT_EQ(pool.stats().reserved, expect);
    }
    chunk = std::min(2 * chunk, Pool::kMaxChunk);
  }
  for (std::size_t i = 0; i < held.size(); ++i)
    EXPECT_EQ(*held[i], static_cast<int>(i));
  // Freed slots are used again before any new chunk.
  std::size_t reserved = pool.stats().reserved;
  for (int* p : held)
    pool.release(p);
  for (std::size_t i = 0; i < held.size(); ++i)
    ASSERT_NE(pool.allocate(0), nullptr);
  EXPECT_EQ(pool.stats().reserved, reserved);
  EXPECT_EQ(pool.live(), held.size());
}

TEST(CoreBoundedPool, TheLastChunkStopsAtTheBound) {
  BoundedPool<int> pool(100);  // a chunk of 64, then one of 36, not 128
  for (int i = 0; i < 100; ++i)
    ASSERT_NE(pool.allocate(i), nullptr);
  EXPECT_EQ(pool.stats().reserved, 100u);
  EXPECT_EQ(pool.allocate(100), nullptr);
  EXPECT_EQ(pool.stats().failures, 1u);
  EXPECT_EQ(pool.stats().reserved, 100u);
}

TEST(CoreBoundedPool, DestructorDestroysLiveObjectsInEveryChunk) {
  Tracked::live = 0;
  {
    BoundedPool<Tracked> pool(1000);
    std::vector<Tracked*> held;
    for (int i = 0; i < 300; ++i)  // three chunks: 64, 128, 108 of 256
      held.push_back(pool.allocate(i, "x"));
    for (std::size_t i = 0; i < held.size(); i += 2)
      pool.release(held[i]);
    EXPECT_EQ(Tracked::live, 150);
  }
  EXPECT_EQ(Tracked::live, 0);
}

// A constructor that throws gives its slot back: the pool neither loses it
// nor destroys an object that was never built.
TEST(CoreBoundedPool, AThrowingConstructorGivesTheSlotBack) {
  struct Picky {
    explicit Picky(bool ok) {
      if (!ok) throw std::runtime_error("no");
      ++Tracked::live;
    }
    ~Picky() { --Tracked::live; }
  };
  Tracked::live = 0;
  {
    BoundedPool<Picky> pool(1);
    EXPECT_THROW(pool.allocate(false), std::runtime_error);
    EXPECT_EQ(pool.live(), 0u);
    Picky* p = pool.allocate(true);  // the one slot is still there
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(pool.stats().reserved, 1u);
    EXPECT_EQ(pool.allocate(false), nullptr);  // at the bound: nothing is constructed
    EXPECT_EQ(pool.stats().failures, 1u);
  }
  EXPECT_EQ(Tracked::live, 0);
}

enum class Err { Bad, Worse };

TEST(CoreResult, HoldsValue) {
  Result<std::string, Err> r(std::string("ok"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), "ok");
  EXPECT_EQ(*r, "ok");
  EXPECT_EQ(r->size(), 2u);
  r.value() += "!";
  EXPECT_EQ(*r, "ok!");
}

TEST(CoreResult, HoldsError) {
  Result<int, Err> r(Err::Worse);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error(), Err::Worse);
}

TEST(CoreResult, ConstAccess) {
  const Result<int, Err> r(7);
  EXPECT_EQ(r.value(), 7);
  EXPECT_EQ(*r, 7);
}

}  // namespace
}  // namespace synack
