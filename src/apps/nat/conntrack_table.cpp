#include "apps/nat/conntrack_table.hpp"

namespace synack::nat {

const char* ConntrackEntry::state_name() const {
  if (proto() == Protocol::Tcp) return to_string(tcp.state());
  return seen_reply ? "ASSURED" : "UNREPLIED";
}

std::optional<ConntrackTable::Match> ConntrackTable::find(const FlowTuple& t) {
  auto it = index_.find(t);
  if (it == index_.end()) return std::nullopt;
  return Match{&entries_.at(it->second.first), it->second.second};
}

ConntrackEntry* ConntrackTable::insert(const FlowTuple& orig, const FlowTuple& reply,
                                       Side orig_side, Instant now, Instant expires) {
  if (full() || index_.contains(orig) || index_.contains(reply)) return nullptr;
  std::uint64_t id = next_id_++;
  ConntrackEntry& e = entries_[id];
  e.id = id;
  e.orig = orig;
  e.reply = reply;
  e.orig_side = orig_side;
  e.created = now;
  e.expires = expires;
  e.queued = expires;
  index_[orig] = {id, Direction::Original};
  index_[reply] = {id, Direction::Reply};
  heap_.push({expires, id});
  young_[static_cast<int>(orig_side)].push_back(id);
  compact();
  return &e;
}

void ConntrackTable::compact() {
  // Stale items (entries removed early, or touched earlier) are bounded by
  // a few times the table: a flood that churns entries cannot grow them.
  std::size_t limit = 2 * max_ + 1024;
  for (auto& q : young_) {
    if (q.size() <= limit) continue;
    std::erase_if(q, [&](std::uint64_t id) { return !entries_.contains(id); });
  }
  if (heap_.size() > 2 * limit) {
    std::vector<HeapItem> live;
    live.reserve(entries_.size());
    for (const auto& [id, e] : entries_)
      live.push_back({e.queued, id});
    heap_ = decltype(heap_)(std::greater<>(), std::move(live));
  }
}

bool ConntrackTable::early_drop(Side side,
                                const std::function<bool(const ConntrackEntry&)>& evictable,
                                const std::function<void(ConntrackEntry&)>& on_remove) {
  for (Side s : {side, side == Side::Inside ? Side::Outside : Side::Inside}) {
    auto& q = young_[static_cast<int>(s)];
    while (!q.empty()) {
      std::uint64_t id = q.front();
      q.pop_front();
      auto it = entries_.find(id);
      if (it == entries_.end() || !evictable(it->second)) continue;
      remove(id, on_remove);
      return true;
    }
  }
  return false;
}

void ConntrackTable::touch(ConntrackEntry& e, Instant expires) {
  e.expires = expires;
  if (expires < e.queued) {
    e.queued = expires;
    heap_.push({expires, e.id});
  }
}

void ConntrackTable::remove(std::uint64_t id,
                            const std::function<void(ConntrackEntry&)>& on_remove) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  on_remove(it->second);
  index_.erase(it->second.orig);
  index_.erase(it->second.reply);
  entries_.erase(it);  // its heap item is dropped when popped
}

std::size_t ConntrackTable::expire(Instant now,
                                   const std::function<void(ConntrackEntry&)>& on_remove) {
  std::size_t removed = 0;
  while (!heap_.empty() && heap_.top().first <= now) {
    auto [when, id] = heap_.top();
    heap_.pop();
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.queued != when) continue;  // stale item
    if (it->second.expires > now) {
      it->second.queued = it->second.expires;
      heap_.push({it->second.expires, id});
      continue;
    }
    remove(id, on_remove);
    ++removed;
  }
  return removed;
}

void ConntrackTable::for_each(const std::function<void(const ConntrackEntry&)>& fn) const {
  for (const auto& [id, e] : entries_)
    fn(e);
}

}  // namespace synack::nat
