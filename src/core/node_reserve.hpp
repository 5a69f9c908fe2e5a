#pragma once
// Keeps the nodes of entries erased from a node-based map (unordered_map,
// map) and reuses them for the next insertions, so that a table whose size
// goes up and down (flows, TIME-WAIT and SYN-queue entries coming and going)
// stops calling the allocator once it has grown. Up to `limit` nodes are
// kept (kDefaultLimit: a few thousand connections opening and closing
// together, some 200 KB of nodes at most); beyond that an erased node is
// freed as usual.
#include <cstddef>
#include <utility>
#include <vector>

namespace synack {

template <typename Map>
class NodeReserve {
 public:
  static constexpr std::size_t kDefaultLimit = 4096;
  explicit NodeReserve(std::size_t limit = kDefaultLimit) : limit_(limit) {}

  // map.emplace(key, value), with a kept node when there is one. Like
  // emplace, it does nothing when the key is present.
  void insert(Map& map, const typename Map::key_type& key, typename Map::mapped_type value) {
    if (spare_.empty()) {
      map.emplace(key, std::move(value));
      return;
    }
    typename Map::node_type node = std::move(spare_.back());
    spare_.pop_back();
    node.key() = key;
    node.mapped() = std::move(value);
    auto result = map.insert(std::move(node));
    if (!result.inserted) keep(std::move(result.node));
  }
  // Erases the entry at `it`, keeping its node.
  void erase(Map& map, typename Map::const_iterator it) { keep(map.extract(it)); }
  std::size_t kept() const { return spare_.size(); }

 private:
  void keep(typename Map::node_type node) {
    if (node && spare_.size() < limit_) spare_.push_back(std::move(node));
  }

  std::vector<typename Map::node_type> spare_;
  std::size_t limit_;
};

}  // namespace synack
