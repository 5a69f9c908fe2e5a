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
  return &e;
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
