// RingBuffer: fixed-capacity byte ring used by the send and receive queues.
#include "core/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include <cstdint>
#include <deque>
#include <numeric>
#include <random>
#include <span>
#include <vector>

namespace synack {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes seq_bytes(std::size_t n, std::uint8_t first = 0) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), first);
  return b;
}

Bytes pop_all(RingBuffer& rb) {
  Bytes out(rb.size());
  EXPECT_EQ(rb.pop(out), out.size());
  return out;
}

TEST(CoreRingBuffer, StartsEmpty) {
  RingBuffer rb(8);
  EXPECT_EQ(rb.capacity(), 8u);
  EXPECT_EQ(rb.size(), 0u);
  EXPECT_EQ(rb.free(), 8u);
  EXPECT_TRUE(rb.empty());
  Bytes out(4, 0xee);
  EXPECT_EQ(rb.pop(out), 0u);
  EXPECT_EQ(out, Bytes(4, 0xee));
}

TEST(CoreRingBuffer, PushPopPreservesOrder) {
  RingBuffer rb(16);
  EXPECT_EQ(rb.push(seq_bytes(5, 1)), 5u);
  EXPECT_EQ(rb.size(), 5u);
  EXPECT_EQ(rb.free(), 11u);
  Bytes out(3);
  EXPECT_EQ(rb.pop(out), 3u);
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
  EXPECT_EQ(pop_all(rb), (Bytes{4, 5}));
  EXPECT_TRUE(rb.empty());
}

TEST(CoreRingBuffer, PushClipsAtCapacity) {
  RingBuffer rb(4);
  EXPECT_EQ(rb.push(seq_bytes(6, 10)), 4u);
  EXPECT_EQ(rb.free(), 0u);
  EXPECT_EQ(rb.push(seq_bytes(1)), 0u);
  EXPECT_EQ(pop_all(rb), (Bytes{10, 11, 12, 13}));
}

TEST(CoreRingBuffer, PopIntoLargerBufferReturnsAvailable) {
  RingBuffer rb(8);
  rb.push(seq_bytes(3, 7));
  Bytes out(10, 0);
  EXPECT_EQ(rb.pop(out), 3u);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(out[2], 9);
  EXPECT_EQ(out[3], 0);  // untouched
}

TEST(CoreRingBuffer, WrapsAroundTheEnd) {
  RingBuffer rb(8);
  rb.push(seq_bytes(6));
  Bytes tmp(5);
  rb.pop(tmp);                                // head at 5, one byte left
  EXPECT_EQ(rb.push(seq_bytes(7, 100)), 7u);  // wraps: 3 bytes at the end, 4 at start
  EXPECT_EQ(rb.size(), 8u);
  EXPECT_EQ(pop_all(rb), (Bytes{5, 100, 101, 102, 103, 104, 105, 106}));
}

TEST(CoreRingBuffer, PeekAtOffsetsDoesNotConsume) {
  RingBuffer rb(8);
  rb.push(seq_bytes(8, 0));
  Bytes out(3);
  EXPECT_EQ(rb.peek_at(0, out), 3u);
  EXPECT_EQ(out, (Bytes{0, 1, 2}));
  EXPECT_EQ(rb.peek_at(6, out), 2u);  // only two bytes past offset 6
  EXPECT_EQ(out[0], 6);
  EXPECT_EQ(out[1], 7);
  EXPECT_EQ(rb.peek_at(8, out), 0u);
  EXPECT_EQ(rb.peek_at(100, out), 0u);
  EXPECT_EQ(rb.size(), 8u);
}

TEST(CoreRingBuffer, PeekAtAcrossWrap) {
  RingBuffer rb(8);
  rb.push(seq_bytes(7));
  rb.discard(6);              // head at 6
  rb.push(seq_bytes(7, 50));  // logical: 6, 50..56
  Bytes out(4);
  EXPECT_EQ(rb.peek_at(1, out), 4u);  // starts at physical 7, wraps at 8
  EXPECT_EQ(out, (Bytes{50, 51, 52, 53}));
  EXPECT_EQ(rb.peek_at(5, out), 3u);
  EXPECT_EQ(out[0], 54);
  EXPECT_EQ(out[2], 56);
}

TEST(CoreRingBuffer, DiscardClipsAtSize) {
  RingBuffer rb(8);
  rb.push(seq_bytes(5));
  EXPECT_EQ(rb.discard(2), 2u);
  EXPECT_EQ(rb.discard(10), 3u);
  EXPECT_TRUE(rb.empty());
  EXPECT_EQ(rb.discard(1), 0u);
  // The buffer still works after a full drain at an odd head position.
  rb.push(seq_bytes(8, 20));
  EXPECT_EQ(pop_all(rb), seq_bytes(8, 20));
}

TEST(CoreRingBuffer, WriteAtIsInvisibleUntilCommit) {
  RingBuffer rb(16);
  rb.push(seq_bytes(2, 1));                      // readable: 1 2
  EXPECT_EQ(rb.write_at(3, Bytes{40, 41}), 2u);  // out of order, past a 3-byte gap
  EXPECT_EQ(rb.size(), 2u);
  EXPECT_EQ(rb.write_at(0, Bytes{10, 11, 12}), 3u);  // the gap fills
  rb.commit(5);
  EXPECT_EQ(rb.size(), 7u);
  EXPECT_EQ(pop_all(rb), (Bytes{1, 2, 10, 11, 12, 40, 41}));
}

TEST(CoreRingBuffer, WriteAtClipsAtCapacity) {
  RingBuffer rb(8);
  rb.push(seq_bytes(3));  // free = 5
  EXPECT_EQ(rb.write_at(2, seq_bytes(10, 90)), 3u);
  EXPECT_EQ(rb.write_at(5, Bytes{1}), 0u);  // offset == free
  EXPECT_EQ(rb.write_at(6, Bytes{1}), 0u);
  EXPECT_EQ(rb.write_at(4, Bytes{7, 8}), 1u);
  EXPECT_EQ(rb.size(), 3u);
}

TEST(CoreRingBuffer, WriteAtAcrossWrapThenCommit) {
  RingBuffer rb(8);
  rb.push(seq_bytes(6));
  rb.discard(5);                                         // head 5, one readable byte (5)
  EXPECT_EQ(rb.write_at(1, Bytes{71, 72, 73, 74}), 4u);  // physical 7, then wraps to 0
  EXPECT_EQ(rb.write_at(0, Bytes{70}), 1u);
  rb.commit(5);
  EXPECT_EQ(pop_all(rb), (Bytes{5, 70, 71, 72, 73, 74}));
}

TEST(CoreRingBuffer, CommitClipsAtFree) {
  RingBuffer rb(4);
  rb.push(seq_bytes(1));
  rb.commit(100);
  EXPECT_EQ(rb.size(), 4u);
  EXPECT_EQ(rb.free(), 0u);
  rb.commit(1);
  EXPECT_EQ(rb.size(), 4u);
}

TEST(CoreRingBuffer, EmptySpansAreHarmless) {
  RingBuffer rb(4);
  EXPECT_EQ(rb.push({}), 0u);
  EXPECT_EQ(rb.write_at(0, {}), 0u);
  rb.push(seq_bytes(2));
  EXPECT_EQ(rb.peek_at(0, {}), 0u);
  EXPECT_EQ(rb.pop({}), 0u);
  EXPECT_EQ(rb.size(), 2u);
}

TEST(CoreRingBuffer, ZeroCapacityNeverHoldsAnything) {
  RingBuffer rb(0);
  EXPECT_EQ(rb.capacity(), 0u);
  EXPECT_EQ(rb.push(seq_bytes(3)), 0u);
  EXPECT_EQ(rb.write_at(0, seq_bytes(3)), 0u);
  rb.commit(3);
  EXPECT_EQ(rb.size(), 0u);
  EXPECT_EQ(rb.discard(3), 0u);
  Bytes out(2);
  EXPECT_EQ(rb.pop(out), 0u);
}

TEST(CoreRingBuffer, RandomisedAgainstDequeModel) {
  std::mt19937 rng(7);
  for (std::size_t cap : {1u, 7u, 64u}) {
    RingBuffer rb(cap);
    std::deque<std::uint8_t> model;
    std::uint8_t next = 0;
    for (int step = 0; step < 5000; ++step) {
      std::size_t n = rng() % (cap + 3);
      switch (rng() % 4) {
        case 0: {
          Bytes in(n);
          for (auto& b : in)
            b = next++;
          std::size_t got = rb.push(in);
          ASSERT_EQ(got, std::min(n, cap - model.size()));
          model.insert(model.end(), in.begin(), in.begin() + got);
          next = static_cast<std::uint8_t>(next - (n - got));
          break;
        }
        case 1: {
          Bytes out(n);
          std::size_t got = rb.pop(out);
          ASSERT_EQ(got, std::min(n, model.size()));
          for (std::size_t i = 0; i < got; ++i, model.pop_front())
            ASSERT_EQ(out[i], model.front());
          break;
        }
        case 2: {
          std::size_t off = rng() % (cap + 1);
          Bytes out(n);
          std::size_t got = rb.peek_at(off, out);
          ASSERT_EQ(got, off < model.size() ? std::min(n, model.size() - off) : 0);
          for (std::size_t i = 0; i < got; ++i)
            ASSERT_EQ(out[i], model[off + i]);
          break;
        }
        default: {
          std::size_t got = rb.discard(n);
          ASSERT_EQ(got, std::min(n, model.size()));
          model.erase(model.begin(), model.begin() + got);
        }
      }
      ASSERT_EQ(rb.size(), model.size());
      ASSERT_EQ(rb.free(), cap - model.size());
    }
  }
}

}  // namespace
TEST(CoreRingBuffer, BackViewWritesInPlaceAndStopsAtTheWrap) {
  RingBuffer r(8);
  auto v = r.back_view(6);
  ASSERT_EQ(v.size(), 6u);
  std::memcpy(v.data(), "abcdef", 6);
  r.commit(6);
  std::uint8_t out[4];
  ASSERT_EQ(r.pop(out), 4u);  // head at 4, 2 stored, 6 free
  // The free space wraps: first the 2 bytes to the end of the storage...
  v = r.back_view(100);
  ASSERT_EQ(v.size(), 2u);
  std::memcpy(v.data(), "gh", 2);
  r.commit(2);
  // ...then the 4 at its start.
  v = r.back_view(100);
  ASSERT_EQ(v.size(), 4u);
  std::memcpy(v.data(), "ijkl", 4);
  r.commit(4);
  EXPECT_TRUE(r.back_view(1).empty());
  std::uint8_t all[8];
  ASSERT_EQ(r.pop(all), 8u);
  EXPECT_EQ(std::string(all, all + 8), "efghijkl");
}

}  // namespace synack

TEST(CoreRingBuffer, StorageGrowsByDoublingAndKeepsEveryByte) {
  synack::RingBuffer r(1 << 20);
  EXPECT_EQ(r.allocated(), 0u);
  std::vector<std::uint8_t> a(50'000);
  for (std::size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(r.push(a), a.size());
  EXPECT_EQ(r.allocated(), 64u * 1024);
  // Wrap the ring, then write ahead of the readable end past the storage:
  // the growth must keep the readable bytes and those written ahead.
  std::vector<std::uint8_t> sink(40'000);
  r.pop(sink);
  EXPECT_EQ(r.push(a), a.size());  // 60,000 stored, wrapped around 64 KiB
  std::vector<std::uint8_t> ahead(30'000, 0xab);
  EXPECT_EQ(r.write_at(10'000, ahead), ahead.size());
  EXPECT_EQ(r.allocated(), 128u * 1024);
  std::vector<std::uint8_t> out(60'000);
  EXPECT_EQ(r.peek_at(0, out), out.size());
  for (std::size_t i = 0; i < 10'000; ++i)
    ASSERT_EQ(out[i], static_cast<std::uint8_t>((40'000 + i) * 7)) << i;
  for (std::size_t i = 0; i < 50'000; ++i)
    ASSERT_EQ(out[10'000 + i], static_cast<std::uint8_t>(i * 7)) << i;
  r.commit(40'000);  // 10,000 of gap (never written) plus the 30,000 ahead
  std::vector<std::uint8_t> tail(30'000);
  EXPECT_EQ(r.peek_at(70'000, tail), tail.size());
  EXPECT_EQ(tail, ahead);
}

TEST(CoreRingBuffer, GrownStorageIsReleasedOnceEmpty) {
  synack::RingBuffer r(1 << 20);
  std::vector<std::uint8_t> a(300'000, 0x5a);
  EXPECT_EQ(r.push(a), a.size());
  EXPECT_EQ(r.allocated(), 512u * 1024);
  r.release_if_empty();  // still holding bytes: kept
  EXPECT_EQ(r.allocated(), 512u * 1024);
  EXPECT_EQ(r.discard(a.size()), a.size());
  r.release_if_empty();
  EXPECT_EQ(r.allocated(), 0u);
  // It works as new afterwards, and the first allocation is never released
  // (no allocator churn for small request/response traffic).
  std::vector<std::uint8_t> b{1, 2, 3};
  EXPECT_EQ(r.push(b), 3u);
  EXPECT_EQ(r.allocated(), synack::RingBuffer::kFirstAllocation);
  std::vector<std::uint8_t> out(3);
  EXPECT_EQ(r.pop(out), 3u);
  EXPECT_EQ(out, b);
  r.release_if_empty();
  EXPECT_EQ(r.allocated(), synack::RingBuffer::kFirstAllocation);
}
