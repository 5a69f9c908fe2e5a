// RingQueue: FIFO order across wrap-around and growth, and items moved (a
// byte vector's buffer travels through the queue instead of being copied).
#include "core/ring_queue.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace synack {
namespace {

TEST(CoreRingQueue, KeepsFifoOrderAcrossWrapAndGrowth) {
  RingQueue<int> q;
  std::deque<int> model;
  std::mt19937 rng(3);
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (model.empty() || rng() % 3 != 0) {
      q.push(next);
      model.push_back(next++);
    } else {
      ASSERT_EQ(q.front(), model.front());
      ASSERT_EQ(q.pop(), model.front());
      model.pop_front();
    }
    ASSERT_EQ(q.size(), model.size());
  }
  while (!model.empty()) {
    ASSERT_EQ(q.pop(), model.front());
    model.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

TEST(CoreRingQueue, MovesItemsInAndOut) {
  RingQueue<std::vector<int>> q;
  std::vector<int> v(100, 7);
  const int* storage = v.data();
  q.push(std::move(v));
  for (int i = 0; i < 20; ++i)  // growth moves the queued vector again
    q.push(std::vector<int>(1, i));
  std::vector<int> out = q.pop();
  EXPECT_EQ(out.data(), storage);
  EXPECT_EQ(out.size(), 100u);
}

}  // namespace
}  // namespace synack
