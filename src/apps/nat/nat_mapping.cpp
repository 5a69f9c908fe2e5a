#include "apps/nat/nat_mapping.hpp"

#include <algorithm>
#include <vector>

namespace synack::nat {

void NatMapping::remember_hairpin_peer(std::uint16_t external_port) {
  if (sent_to_hairpin_peer(external_port)) return;
  if (hairpin_peers.size() >= kMaxHairpinPeers) hairpin_peers.erase(hairpin_peers.begin());
  hairpin_peers.push_back(external_port);
}

bool NatMapping::sent_to_hairpin_peer(std::uint16_t external_port) const {
  return std::find(hairpin_peers.begin(), hairpin_peers.end(), external_port) !=
         hairpin_peers.end();
}

NatMapping* NatMappingTable::find_inside(Protocol p, Endpoint inside) {
  auto it = by_inside_.find(inside_key(p, inside));
  return it == by_inside_.end() ? nullptr : &it->second;
}

NatMapping* NatMappingTable::find_external(Protocol p, std::uint16_t external_port) {
  auto it = by_external_.find(external_key(p, external_port));
  if (it == by_external_.end()) return nullptr;
  return &by_inside_.at(it->second);
}

NatMapping* NatMappingTable::obtain(Protocol p, Endpoint inside, std::uint16_t wanted) {
  if (NatMapping* m = find_inside(p, inside)) return m;
  auto port = ports_.allocate(p, wanted != 0 ? wanted : inside.port);
  if (!port) return nullptr;
  std::uint64_t key = inside_key(p, inside);
  NatMapping& m = by_inside_[key];
  m.proto = p;
  m.inside = inside;
  m.external_port = *port;
  by_external_[external_key(p, *port)] = key;
  return &m;
}

void NatMappingTable::erase(NatMapping& m) {
  ports_.release(m.proto, m.external_port);
  by_external_.erase(external_key(m.proto, m.external_port));
  by_inside_.erase(inside_key(m.proto, m.inside));
}

void NatMappingTable::release_flow(NatMapping& m, Instant now) {
  if (m.flows > 0) --m.flows;
  remove_if_unused(m, now);
}

void NatMappingTable::remove_if_unused(NatMapping& m, Instant now) {
  if (m.flows > 0) return;
  if (m.lease_end && *m.lease_end > now) return;
  erase(m);
}

void NatMappingTable::expire_leases(Instant now) {
  std::vector<NatMapping*> ended;
  for (auto& [key, m] : by_inside_)
    if (m.lease_end && *m.lease_end <= now) ended.push_back(&m);
  for (NatMapping* m : ended) {
    m->lease_end.reset();
    remove_if_unused(*m, now);
  }
}

void NatMappingTable::clear() {
  for (auto& [key, m] : by_inside_)
    ports_.release(m.proto, m.external_port);
  by_inside_.clear();
  by_external_.clear();
}

Instant NatMappingTable::next_lease_end() const {
  Instant t = kNever;
  for (const auto& [key, m] : by_inside_)
    if (m.lease_end) t = earliest(t, *m.lease_end);
  return t;
}

void NatMappingTable::for_each(const std::function<void(const NatMapping&)>& fn) const {
  for (const auto& [key, m] : by_inside_)
    fn(m);
}

}  // namespace synack::nat
