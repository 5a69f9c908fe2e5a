#include "iface/neighbor_cache.hpp"

#include <iterator>

namespace synack::iface {

ArpRequest Neighbors::start_requests(Instant now, wire::Ipv4Address ip, Entry& e) {
  e.requests = 1;
  e.next_request = now + cfg_.retransmit_interval;
  deadline_stale_ = true;
  ++counters_.requests;
  if (e.state == State::Probing) return {ip, e.mac};
  return {ip, std::nullopt};
}

void Neighbors::hold(Entry& e, std::span<const std::uint8_t> packet) {
  // RFC 1122 §2.3.2.2: keep the newest packets, drop the oldest.
  if (cfg_.max_held == 0) {
    ++counters_.held_drops;
    return;
  }
  if (e.held.size() >= cfg_.max_held) {
    e.held.pop_front();
    ++counters_.held_drops;
  }
  e.held.emplace_back(packet.begin(), packet.end());
}

Neighbors::Decision Neighbors::send(Instant now, wire::Ipv4Address ip,
                                    std::span<const std::uint8_t> packet) {
  auto it = entries_.find(ip.to_u32());
  if (it == entries_.end()) {
    if (!make_room()) {
      ++counters_.table_full_drops;
      return {};
    }
    Entry& e = entries_[ip.to_u32()];
    hold(e, packet);
    return {std::nullopt, start_requests(now, ip, e)};
  }
  Entry& e = it->second;
  switch (e.state) {
    case State::Incomplete:
      hold(e, packet);
      return {};
    case State::Reachable:
      if (now < e.expires) return {e.mac, std::nullopt};
      // Stale: keep using the old answer while confirming it.
      e.state = State::Probing;
      return {e.mac, start_requests(now, ip, e)};
    case State::Probing:
      return {e.mac, std::nullopt};
  }
  return {};
}

std::vector<std::vector<std::uint8_t>> Neighbors::learn(Instant now, wire::Ipv4Address ip,
                                                        wire::MacAddress mac, bool create) {
  std::vector<std::vector<std::uint8_t>> released;
  auto it = entries_.find(ip.to_u32());
  if (it == entries_.end()) {
    // RFC 826: only a packet addressed to us adds a new translation.
    if (!create || !make_room()) return released;
    it = entries_.emplace(ip.to_u32(), Entry{}).first;
  }
  Entry& e = it->second;
  if (e.state == State::Incomplete && e.requests > 0) ++counters_.resolved;
  if (e.state != State::Reachable) deadline_stale_ = true;
  e.state = State::Reachable;
  e.mac = mac;
  e.expires = now + cfg_.reachable_time;
  e.requests = 0;
  ++counters_.learned;
  released.assign(std::make_move_iterator(e.held.begin()), std::make_move_iterator(e.held.end()));
  e.held.clear();
  return released;
}

void Neighbors::on_timers(Instant now, std::vector<ArpRequest>& out) {
  if (now < next_deadline()) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (e.state == State::Reachable || now < e.next_request) {
      ++it;
      continue;
    }
    wire::Ipv4Address ip(it->first);
    if (e.requests < cfg_.max_requests) {
      ++e.requests;
      e.next_request = now + cfg_.retransmit_interval;
      ++counters_.requests;
      out.push_back({ip, e.state == State::Probing ? std::optional(e.mac) : std::nullopt});
      ++it;
      continue;
    }
    // RFC 1122 §2.3.2.1: no answer, so the entry goes (with what it held).
    counters_.unresolved_drops += e.held.size();
    ++counters_.unreachable;
    it = entries_.erase(it);
  }
  deadline_stale_ = true;
}

Instant Neighbors::next_deadline() const {
  if (deadline_stale_) {
    deadline_ = kNever;
    for (const auto& [ip, e] : entries_)
      if (e.state != State::Reachable) deadline_ = earliest(deadline_, e.next_request);
    deadline_stale_ = false;
  }
  return deadline_;
}

std::optional<wire::MacAddress> Neighbors::lookup(Instant now, wire::Ipv4Address ip) const {
  auto it = entries_.find(ip.to_u32());
  if (it == entries_.end() || it->second.state != State::Reachable || now >= it->second.expires)
    return std::nullopt;
  return it->second.mac;
}

std::size_t Neighbors::held(wire::Ipv4Address ip) const {
  auto it = entries_.find(ip.to_u32());
  return it == entries_.end() ? 0 : it->second.held.size();
}

bool Neighbors::make_room() {
  if (entries_.size() < cfg_.max_entries) return true;
  // Evict the answer closest to (or furthest past) its expiry; entries still
  // resolving end on their own within a few seconds.
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.state != State::Reachable) continue;
    if (victim == entries_.end() || it->second.expires < victim->second.expires) victim = it;
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

}  // namespace synack::iface
