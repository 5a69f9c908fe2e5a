#include "core/deadline_heap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace synack {
namespace {

struct Item {
  Instant indexed_deadline = kNever;
  std::size_t timer_slot = DeadlineHeap<Item>::kNotQueued;
};

Instant at(int ms) {
  return Instant{} + std::chrono::milliseconds(ms);
}

TEST(DeadlineHeap, EmptyHasNoDeadline) {
  DeadlineHeap<Item> h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.earliest(), kNever);
}

TEST(DeadlineHeap, EarliestFirstTiesByAddress) {
  std::array<Item, 4> items;
  DeadlineHeap<Item> h;
  h.update(&items[3], at(5));
  h.update(&items[1], at(5));
  h.update(&items[2], at(1));
  h.update(&items[0], at(9));
  std::vector<Item*> order;
  while (!h.empty()) {
    order.push_back(h.top());
    h.remove(h.top());
  }
  EXPECT_EQ(order, (std::vector<Item*>{&items[2], &items[1], &items[3], &items[0]}));
  for (const Item& i : items) {
    EXPECT_EQ(i.indexed_deadline, kNever);
    EXPECT_EQ(i.timer_slot, DeadlineHeap<Item>::kNotQueued);
  }
}

TEST(DeadlineHeap, MovingAndRemovingKeepsOrder) {
  std::array<Item, 3> items;
  DeadlineHeap<Item> h;
  h.update(&items[0], at(10));
  h.update(&items[1], at(20));
  h.update(&items[2], at(30));
  h.update(&items[2], at(5));  // earlier
  EXPECT_EQ(h.top(), &items[2]);
  h.update(&items[2], at(40));  // later
  EXPECT_EQ(h.top(), &items[0]);
  h.remove(&items[0]);
  EXPECT_EQ(h.top(), &items[1]);
  EXPECT_EQ(h.earliest(), at(20));
  h.update(&items[1], kNever);
  EXPECT_EQ(h.size(), 1u);
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(items[2].timer_slot, DeadlineHeap<Item>::kNotQueued);
}

// Random updates against the std::set<pair<Instant, T*>> it replaced: after
// every step the earliest item and the full pop order agree.
TEST(DeadlineHeap, AgreesWithAnOrderedSet) {
  std::mt19937 rng(42);
  std::vector<Item> items(64);
  DeadlineHeap<Item> h;
  std::set<std::pair<Instant, Item*>> ref;
  for (int step = 0; step < 20000; ++step) {
    Item* it = &items[rng() % items.size()];
    Instant want = rng() % 5 == 0 ? kNever : at(static_cast<int>(rng() % 50));
    if (it->indexed_deadline != kNever) ref.erase({it->indexed_deadline, it});
    if (want != kNever) ref.emplace(want, it);
    h.update(it, want);
    ASSERT_EQ(h.size(), ref.size());
    ASSERT_EQ(h.earliest(), ref.empty() ? kNever : ref.begin()->first);
    if (!ref.empty()) {
      ASSERT_EQ(h.top(), ref.begin()->second);
    }
  }
  for (const auto& [when, item] : ref) {
    ASSERT_EQ(h.top(), item);
    ASSERT_EQ(h.earliest(), when);
    h.remove(item);
  }
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace synack
