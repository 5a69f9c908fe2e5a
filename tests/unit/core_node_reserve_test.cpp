// NodeReserve: erased entries' nodes are kept and reused by later
// insertions (the same node comes back, so the allocator is not called),
// up to the limit; an insertion whose key is present changes nothing.
#include "core/node_reserve.hpp"

#include <gtest/gtest.h>

#include <unordered_map>

namespace synack {
namespace {

using Map = std::unordered_map<int, int>;

TEST(CoreNodeReserve, ErasedNodeIsReusedByTheNextInsertion) {
  Map m;
  NodeReserve<Map> nodes(4);
  nodes.insert(m, 1, 10);
  const auto* node = &*m.find(1);
  nodes.erase(m, m.find(1));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(nodes.kept(), 1u);
  nodes.insert(m, 2, 20);
  EXPECT_EQ(nodes.kept(), 0u);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.at(2), 20);
  EXPECT_EQ(&*m.find(2), node);  // the same node, with the new key and value
}

TEST(CoreNodeReserve, KeepsAtMostItsLimit) {
  Map m;
  NodeReserve<Map> nodes(2);
  for (int k = 0; k < 5; ++k)
    nodes.insert(m, k, k);
  for (int k = 0; k < 5; ++k)
    nodes.erase(m, m.find(k));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(nodes.kept(), 2u);
}

TEST(CoreNodeReserve, InsertingAPresentKeyLeavesTheMapAsItWas) {
  Map m;
  NodeReserve<Map> nodes(4);
  nodes.insert(m, 1, 10);
  nodes.erase(m, m.find(1));
  nodes.insert(m, 7, 70);
  nodes.insert(m, 7, 71);  // like emplace: the first value stays
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.at(7), 70);
  nodes.insert(m, 8, 80);  // a fresh node: none was kept by the failed insert
  EXPECT_EQ(m.at(8), 80);
}

}  // namespace
}  // namespace synack
