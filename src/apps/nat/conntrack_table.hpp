#pragma once
// The NAT's connection tracking table: one entry per flow, found from either
// direction's tuple as it arrives at the NAT (Linux conntrack's original and
// reply tuples), with an idle deadline per entry and a hard size limit
// (`--conntrack-max`): when full, a new flow may take the place of the
// oldest entry not yet established (early_drop(), as Linux's conntrack
// does), else it is refused (and counted); established flows carry on, and
// a SYN flood cannot grow the table past it.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "apps/nat/flow_tuple.hpp"
#include "apps/nat/tcp_conntrack.hpp"
#include "core/time.hpp"

namespace synack::nat {

// Which link a flow's initiator is on.
enum class Side : std::uint8_t { Inside, Outside };

struct ConntrackEntry {
  std::uint64_t id = 0;
  FlowTuple orig;   // the initiator's packets, as they arrive at the NAT
  FlowTuple reply;  // the responder's packets, as they arrive at the NAT
  Side orig_side = Side::Inside;
  TcpConntrack tcp;         // TCP only
  bool seen_reply = false;  // UDP/ICMP: a reply passed (UNREPLIED -> ASSURED)
  Instant created{};
  Instant expires{};  // set through ConntrackTable::touch()
  Instant queued{};   // the deadline of the entry's live item in the expiry heap
  // The inside endpoint whose endpoint-independent mapping this flow holds
  // (the table itself does not use it).
  std::optional<Endpoint> mapping;
  // A hairpinned flow into another inside endpoint's mapping holds that one
  // too, so that its port is not freed while the flow uses it.
  std::optional<Endpoint> target_mapping;
  Protocol proto() const { return orig.proto; }
  // "ESTABLISHED", "UNREPLIED", ...: Linux conntrack's words.
  const char* state_name() const;
  std::uint64_t packets[2] = {0, 0};
  std::uint64_t bytes[2] = {0, 0};
};

class ConntrackTable {
 public:
  explicit ConntrackTable(std::size_t max_entries) : max_(max_entries) {}

  struct Match {
    ConntrackEntry* entry = nullptr;
    Direction dir = Direction::Original;
  };
  std::optional<Match> find(const FlowTuple& t);
  bool full() const { return entries_.size() >= max_; }
  bool tuple_in_use(const FlowTuple& t) const { return index_.contains(t); }
  // A new entry expiring at `expires`; null when the table is full or a
  // tuple is already tracked.
  ConntrackEntry* insert(const FlowTuple& orig, const FlowTuple& reply, Side orig_side, Instant now,
                         Instant expires);
  // Moves `e`'s idle deadline (later or earlier).
  void touch(ConntrackEntry& e, Instant expires);
  // Removes entries whose deadline passed, calling `on_remove` for each first.
  std::size_t expire(Instant now, const std::function<void(ConntrackEntry&)>& on_remove);
  void remove(std::uint64_t id, const std::function<void(ConntrackEntry&)>& on_remove);
  // Makes room in a full table: removes the oldest entry for which
  // `evictable` holds, among those started from `side` first (so that a
  // flood from one side churns only its own half-open entries), then from
  // either side. False if no entry may go.
  bool early_drop(Side side, const std::function<bool(const ConntrackEntry&)>& evictable,
                  const std::function<void(ConntrackEntry&)>& on_remove);
  // The earliest deadline (or a later one: entries extend theirs lazily); kNever when empty.
  Instant next_expiry() const { return heap_.empty() ? kNever : heap_.top().first; }

  std::size_t size() const { return entries_.size(); }
  std::size_t max_entries() const { return max_; }
  void for_each(const std::function<void(const ConntrackEntry&)>& fn) const;

 private:
  using HeapItem = std::pair<Instant, std::uint64_t>;
  std::size_t max_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, ConntrackEntry> entries_;
  // Both tuples of every entry, to its id and the direction they stand for.
  std::unordered_map<FlowTuple, std::pair<std::uint64_t, Direction>, FlowTupleHash> index_;
  // One live item per entry (at `queued`, never after `expires`): a later
  // deadline only moves `expires`, and the popped item is pushed back at it;
  // an earlier one pushes a new item and leaves the old one stale.
  std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap_;
  // Entry ids by the side that started them, oldest first: early_drop()'s
  // candidates. Ids of entries gone, or no longer evictable when reached,
  // are dropped lazily (and compacted when the queue grows past the table).
  std::deque<std::uint64_t> young_[2];
  void compact();
};

}  // namespace synack::nat
