#include "apps/nat/nat_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "wire/bytes.hpp"

namespace synack::nat {
namespace {

constexpr std::uint8_t kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;
constexpr std::uint32_t kMaxPmpLifetime = 24 * 3600;

bool is_multicast_or_broadcast(wire::Ipv4Address a, const wire::Ipv4Cidr& net) {
  return (a.to_u32() >> 28) == 0xe || a == wire::Ipv4Address::broadcast() ||
         (net.broadcast() && a == *net.broadcast());
}

// RFC 1812 §5.3.7: addresses no packet is forwarded to or from — net 0,
// net 127 (loopback) and class E; a source may not be multicast or the
// limited broadcast either (§4.2.2.11, §5.3.7).
bool martian_destination(wire::Ipv4Address a) {
  std::uint32_t v = a.to_u32();
  return (v >> 24) == 0 || (v >> 24) == 127 ||
         ((v >> 28) == 0xf && a != wire::Ipv4Address::broadcast());
}
bool martian_source(wire::Ipv4Address a) {
  std::uint32_t v = a.to_u32();
  return (v >> 24) == 0 || (v >> 24) == 127 || (v >> 28) >= 0xe;
}

// RFC 5382 REQ-2 / RFC 9293: only a SYN (without ACK or RST) opens a flow.
bool opens_tcp(const PacketInfo& info) {
  return (info.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn;
}

// Linux conntrack's "assured": a flow that saw both directions and, for TCP,
// got established. Such a flow is never removed to make room; the others
// (half-open, unreplied, closed) may be (early drop), so that a table full
// of them refuses new flows for seconds, not the 4 min they would live.
bool evictable(const ConntrackEntry& e) {
  if (e.proto() != Protocol::Tcp) return !e.seen_reply;
  switch (e.tcp.state()) {
    case TcpTrackState::Established:
    case TcpTrackState::FinWait:
    case TcpTrackState::CloseWait:
    case TcpTrackState::LastAck:
      return false;
    default:
      return true;
  }
}

Translation verdict(Translation::Action a) {
  Translation t;
  t.action = a;
  return t;
}

}  // namespace

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::None:
      return "none";
    case DropReason::Unsolicited:
      return "unsolicited";
    case DropReason::TableFull:
      return "table-full";
    case DropReason::NoPorts:
      return "no-ports";
    case DropReason::Invalid:
      return "invalid";
    case DropReason::Fragment:
      return "fragment";
    case DropReason::Unsupported:
      return "unsupported";
    case DropReason::Malformed:
      return "malformed";
    case DropReason::NotOurs:
      return "not-ours";
    case DropReason::Spoofed:
      return "spoofed";
    case DropReason::NoAddress:
      return "no-address";
    case DropReason::TtlExpired:
      return "ttl-expired";
    case DropReason::Martian:
      return "martian";
  }
  return "?";
}

std::uint64_t NatCounters::dropped_total() const {
  std::uint64_t n = 0;
  for (auto d : dropped)
    n += d;
  return n;
}

NatEngine::NatEngine(const NatConfig& cfg)
    : cfg_(cfg), ports_(cfg.seed), mappings_(ports_), table_(cfg.conntrack_max) {
  // Forwarded ports are never handed out to masqueraded flows.
  for (const PortForward& f : cfg_.forwards)
    for (std::uint32_t p = f.first; p <= f.last; ++p)
      ports_.reserve(f.proto, static_cast<std::uint16_t>(p));
  if (cfg_.local_ports)
    for (std::uint32_t p = cfg_.local_ports->first; p <= cfg_.local_ports->second; ++p)
      for (Protocol proto : {Protocol::Tcp, Protocol::Udp})
        ports_.reserve(proto, static_cast<std::uint16_t>(p));
}

Translation NatEngine::drop(const PacketInfo& info, DropReason r) {
  ++counters_.dropped[static_cast<int>(r)];
  Translation t;
  t.action = Translation::Action::Drop;
  t.info = info;
  t.reason = r;
  return t;
}

Translation NatEngine::translate(Instant now, Side from, std::span<const std::uint8_t> packet) {
  expire(now);
  auto info = inspect_packet(packet);
  if (!info) {
    // Not translatable; the router's own addresses still get it (the
    // interface answers, e.g. protocol unreachable, or drops fragments).
    wire::Ipv4Address dst(wire::load_be32(packet, 16));
    const wire::Ipv4Cidr& own = from == Side::Inside ? cfg_.inside : cfg_.outside;
    if (dst == own.address || is_multicast_or_broadcast(dst, own)) {
      ++counters_.local;
      return verdict(Translation::Action::Local);
    }
    PacketInfo none;
    switch (info.error()) {
      case InspectError::Fragment:
        return drop(none, DropReason::Fragment);
      case InspectError::Unsupported:
        return drop(none, DropReason::Unsupported);
      case InspectError::Malformed:
        return drop(none, DropReason::Malformed);
    }
  }
  return from == Side::Inside ? from_inside(now, *info) : from_outside(now, *info);
}

Translation NatEngine::from_inside(Instant now, const PacketInfo& info) {
  if (info.outer_dst == cfg_.inside.address ||
      is_multicast_or_broadcast(info.outer_dst, cfg_.inside)) {
    ++counters_.local;
    Translation t = verdict(Translation::Action::Local);
    t.info = info;
    return t;
  }
  // RFC 2827: the inside network only sends from its own addresses.
  if (!cfg_.inside.contains(info.outer_src)) return drop(info, DropReason::Spoofed);
  if (info.outer_dst == cfg_.outside.address && has_outside_address() && !info.icmp_error &&
      info.tuple.proto == Protocol::Icmp && info.tuple.dst_port == 0) {
    // A ping of the router's own outside address: answered whatever its TTL
    // (it is not forwarded), as a host answers pings of any of its addresses.
    ++counters_.local;
    Translation l = verdict(Translation::Action::Local);
    l.info = info;
    return l;
  }
  if (info.outer_src == cfg_.inside.broadcast() || martian_destination(info.outer_dst))
    return drop(info, DropReason::Martian);
  // RFC 1812 §5.3.5.2: forwarding directed broadcasts MUST default to off;
  // synack has no switch for it. The outside subnet's is the one it knows.
  if (cfg_.outside.broadcast() && info.outer_dst == *cfg_.outside.broadcast())
    return drop(info, DropReason::Martian);
  if (info.ttl <= 1) {
    // RFC 1812 §5.3.1: a packet whose TTL would reach 0 is not forwarded;
    // an ICMP error gets no time exceeded about itself (§4.3.2.7).
    if (info.icmp_error) return drop(info, DropReason::TtlExpired);
    Translation t = verdict(Translation::Action::TtlExceeded);
    t.info = info;
    return t;
  }
  if (auto m = table_.find(info.tuple)) return existing(now, *m, info, Side::Inside);
  if (info.icmp_error) return drop(info, DropReason::Invalid);
  const FlowTuple& t = info.tuple;
  bool echo_request = t.proto == Protocol::Icmp && t.dst_port == 0;
  if (t.proto == Protocol::Icmp && !echo_request) return drop(info, DropReason::Invalid);
  if (t.proto == Protocol::Tcp && !opens_tcp(info)) return drop(info, DropReason::Invalid);
  if (!has_outside_address()) return drop(info, DropReason::NoAddress);
  if (t.dst == cfg_.outside.address) {
    if (echo_request) {  // a ping of the router's outside address
      ++counters_.local;
      Translation l = verdict(Translation::Action::Local);
      l.info = info;
      return l;
    }
    // Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): to the mapping's inside
    // endpoint, from the sender's own external endpoint, so the server
    // answers through the NAT; filtering applies as from outside.
    NatMapping* had = mappings_.find_inside(t.proto, {t.src, t.src_port});
    auto mine = external_of(t.proto, {t.src, t.src_port});
    if (!mine) return drop(info, DropReason::NoPorts);
    auto target = inbound_target(t.proto, t.dst_port, {cfg_.outside.address, mine->port});
    if (!target) {
      bool mapped = mappings_.find_external(t.proto, t.dst_port) != nullptr;
      if (had) {
        had->remember_hairpin_peer(t.dst_port);  // the peer's packets may come in now
      } else if (mine->mapping) {
        mappings_.remove_if_unused(*mine->mapping, now);
      }
      if (!mapped && t.proto == Protocol::Tcp && !(info.tcp_flags & kTcpRst)) {
        // No forward and no mapping: a closed port of the router itself. An
        // inside host gets the RST a host would send (RFC 9293 §3.10.7.1)
        // rather than waiting for its connect to time out. (From outside,
        // RFC 5382 REQ-4 wants silence; a filtered mapping stays silent too,
        // so that TCP hole punching is not reset.)
        Translation x = verdict(Translation::Action::Reset);
        x.info = info;
        return x;
      }
      return drop(info, DropReason::Unsolicited);
    }
    FlowTuple to{t.proto, cfg_.outside.address, mine->port, target->to.addr, target->to.port};
    Translation r = new_flow(now, info, Side::Inside, to, mine->mapping, target->mapping);
    if (r.action == Translation::Action::Forward) ++counters_.hairpinned;
    return r;
  }
  if (cfg_.inside.contains(t.dst)) return drop(info, DropReason::NotOurs);  // on-link
  // Masquerade with an endpoint-independent mapping.
  auto mine = external_of(t.proto, {t.src, t.src_port});
  if (!mine) return drop(info, DropReason::NoPorts);
  FlowTuple to{t.proto, cfg_.outside.address, mine->port, t.dst, t.dst_port};
  Translation r = new_flow(now, info, Side::Inside, to, mine->mapping);
  if (r.action == Translation::Action::Forward) ++counters_.outbound;
  return r;
}

Translation NatEngine::from_outside(Instant now, const PacketInfo& info) {
  if (is_multicast_or_broadcast(info.outer_dst, cfg_.outside)) {
    ++counters_.local;
    Translation t = verdict(Translation::Action::Local);
    t.info = info;
    return t;
  }
  // The router's DHCP client: an OFFER or ACK may be unicast to the address
  // being offered, before (or instead of) the one the router holds.
  if (info.tuple.proto == Protocol::Udp && info.tuple.src_port == 67 && info.tuple.dst_port == 68) {
    ++counters_.local;
    Translation t = verdict(Translation::Action::Local);
    t.info = info;
    return t;
  }
  if (!has_outside_address()) return drop(info, DropReason::NoAddress);
  if (info.outer_dst != cfg_.outside.address) return drop(info, DropReason::NotOurs);
  // RFC 1812 §5.3.7 and RFC 2827 / RFC 3704 ingress filtering: no invalid
  // source, and none of the router's own or inside addresses from outside
  // (a spoofed inside source would make an inside server answer on-link,
  // past the NAT).
  const wire::Ipv4Address src = info.outer_src;
  if (martian_source(src) || cfg_.inside.contains(src) || src == cfg_.outside.address ||
      src == cfg_.outside.broadcast())
    return drop(info, DropReason::Martian);
  if (auto m = table_.find(info.tuple)) {
    if (info.ttl <= 1) {
      if (info.icmp_error) return drop(info, DropReason::TtlExpired);  // RFC 1812 §5.3.1
      Translation t = verdict(Translation::Action::TtlExceeded);
      t.info = info;
      return t;
    }
    return existing(now, *m, info, Side::Outside);
  }
  const FlowTuple& t = info.tuple;
  if (cfg_.local_ports && t.proto != Protocol::Icmp && t.dst_port >= cfg_.local_ports->first &&
      t.dst_port <= cfg_.local_ports->second) {
    ++counters_.local;  // an answer to the router's own socket (DDNS)
    Translation l = verdict(Translation::Action::Local);
    l.info = info;
    return l;
  }
  if (t.proto == Protocol::Icmp) {
    // Echo requests to the router and errors about its own packets.
    ++counters_.local;
    Translation l = verdict(Translation::Action::Local);
    l.info = info;
    return l;
  }
  // RFC 5382 REQ-4: an unsolicited SYN is dropped silently (no RST), as is
  // any other TCP or UDP packet for which there is no flow or open port.
  if (t.proto == Protocol::Tcp && !opens_tcp(info)) return drop(info, DropReason::Unsolicited);
  auto target = inbound_target(t.proto, t.dst_port, {t.src, t.src_port});
  if (!target) return drop(info, DropReason::Unsolicited);
  if (info.ttl <= 1) {
    Translation x = verdict(Translation::Action::TtlExceeded);
    x.info = info;
    return x;
  }
  FlowTuple to{t.proto, t.src, t.src_port, target->to.addr, target->to.port};
  Translation r = new_flow(now, info, Side::Outside, to, target->mapping);
  if (r.action == Translation::Action::Forward) ++counters_.inbound;
  return r;
}

std::optional<std::uint16_t> NatEngine::forward_port_of(Protocol p, Endpoint inside) const {
  for (const PortForward& f : cfg_.forwards)
    if (f.proto == p && f.to.addr == inside.addr && inside.port >= f.to.port &&
        inside.port - f.to.port <= f.last - f.first)
      return static_cast<std::uint16_t>(f.first + (inside.port - f.to.port));
  return std::nullopt;
}

std::optional<NatEngine::External> NatEngine::external_of(Protocol p, Endpoint inside) {
  if (auto port = forward_port_of(p, inside)) return External{*port, nullptr};
  NatMapping* m = mappings_.obtain(p, inside);
  if (!m) return std::nullopt;
  return External{m->external_port, m};
}

std::optional<NatEngine::InboundTarget> NatEngine::inbound_target(Protocol p, std::uint16_t port,
                                                                  Endpoint remote) {
  for (const PortForward& f : cfg_.forwards)
    if (f.covers(p, port)) return InboundTarget{f.target(port), nullptr};
  NatMapping* m = mappings_.find_external(p, port);
  if (!m) return std::nullopt;
  // A NAT-PMP mapping is open to all (RFC 6886 §3.3); otherwise filtering
  // decides (RFC 4787 REQ-8). Address-and-port-dependent filtering admits
  // only the remotes the endpoint sent to: from outside those flows already
  // exist; hairpinned, the other inside endpoint's external endpoint once
  // this one sent to it (RFC 4787 REQ-9).
  if (m->lease_end || cfg_.filtering == Filtering::EndpointIndependent)
    return InboundTarget{m->inside, m};
  if (remote.addr == cfg_.outside.address && m->sent_to_hairpin_peer(remote.port))
    return InboundTarget{m->inside, m};
  return std::nullopt;
}

Translation NatEngine::new_flow(Instant now, const PacketInfo& info, Side from, FlowTuple to,
                                NatMapping* mapping, NatMapping* target_mapping) {
  if (table_.full()) {
    // The mappings are held while an old flow makes room: it may be their last.
    for (NatMapping* m : {mapping, target_mapping})
      if (m) ++m->flows;
    if (table_.early_drop(from, evictable, [&](ConntrackEntry& old) { release(old, now); }))
      ++counters_.early_drops;
    for (NatMapping* m : {mapping, target_mapping})
      if (m) --m->flows;
  }
  if (table_.full()) {
    if (mapping) mappings_.remove_if_unused(*mapping, now);
    return drop(info, DropReason::TableFull);
  }
  ConntrackEntry* e = table_.insert(info.tuple, to.reversed(), from, now, now);
  if (!e && from == Side::Outside && !mapping && to.proto != Protocol::Icmp) {
    // Two forwards to one inside endpoint, reached from one remote endpoint
    // (tcp:80=h:80 and tcp:8080=h:80): the inside host would see one 4-tuple
    // for both. As Linux's NAT does, the remote's port is changed for the
    // later flow so that the tuples stay unique.
    FlowTuple alt = to;
    for (std::uint32_t i = 1; i <= 64 && !e; ++i) {
      alt.src_port = static_cast<std::uint16_t>(1024 + (to.src_port + 7919u * i) % 64512u);
      e = table_.insert(info.tuple, alt.reversed(), from, now, now);
    }
    if (e) to = alt;
  }
  if (!e) {
    if (mapping) mappings_.remove_if_unused(*mapping, now);
    return drop(info, DropReason::Invalid);  // the reply tuple is taken
  }
  if (mapping) {
    ++mapping->flows;
    e->mapping = mapping->inside;
  }
  if (target_mapping && target_mapping != mapping) {
    ++target_mapping->flows;
    e->target_mapping = target_mapping->inside;
  }
  ++counters_.flows_created;
  on_packet(*e, Direction::Original, info, now);
  Translation t = verdict(Translation::Action::Forward);
  t.egress = side_of(to.dst);
  t.info = info;
  t.to = to;
  return t;
}

Translation NatEngine::existing(Instant now, ConntrackTable::Match m, const PacketInfo& info,
                                Side from) {
  ConntrackEntry& e = *m.entry;
  // The other direction's tuple, reversed, is what this packet becomes.
  FlowTuple to = (m.dir == Direction::Original ? e.reply : e.orig).reversed();
  if (info.icmp_error) {
    ++counters_.icmp_errors_translated;  // RFC 5508 §4.2: no state change
  } else {
    on_packet(e, m.dir, info, now);
  }
  Translation t = verdict(Translation::Action::Forward);
  t.egress = side_of(to.dst);
  t.info = info;
  t.to = to;
  if (from == Side::Inside && t.egress == Side::Inside)
    ++counters_.hairpinned;
  else if (from == Side::Inside)
    ++counters_.outbound;
  else
    ++counters_.inbound;
  return t;
}

void NatEngine::on_packet(ConntrackEntry& e, Direction dir, const PacketInfo& info, Instant now) {
  ++e.packets[static_cast<int>(dir)];
  if (e.proto() == Protocol::Tcp) {
    std::uint64_t ignored = e.tcp.rsts_ignored();
    e.tcp.on_segment(dir, info.tcp_flags, info.seq, info.ack, info.seg_len, info.window,
                     info.wscale);
    // Still forwarded: the endpoint checks it too (RFC 5961), the entry stays.
    counters_.rsts_out_of_window += e.tcp.rsts_ignored() - ignored;
  } else if (dir == Direction::Reply) {
    e.seen_reply = true;
  }
  table_.touch(e, now + idle_timeout(e));
}

Duration NatEngine::idle_timeout(const ConntrackEntry& e) const {
  switch (e.proto()) {
    case Protocol::Tcp:
      return cfg_.tcp.timeout(e.tcp.state());
    case Protocol::Udp:
      return cfg_.udp_timeout;
    case Protocol::Icmp:
      return cfg_.icmp_timeout;
  }
  return cfg_.udp_timeout;
}

void NatEngine::release(ConntrackEntry& e, Instant now) {
  for (const auto& held : {e.mapping, e.target_mapping})
    if (held)
      if (NatMapping* m = mappings_.find_inside(e.proto(), *held)) mappings_.release_flow(*m, now);
}

std::size_t NatEngine::set_outside(const wire::Ipv4Cidr& addr) {
  std::vector<std::uint64_t> ids;
  table_.for_each([&](const ConntrackEntry& e) { ids.push_back(e.id); });
  for (std::uint64_t id : ids)
    table_.remove(id, [](ConntrackEntry&) {});
  mappings_.clear();
  next_lease_check_ = kNever;
  cfg_.outside = addr;
  return ids.size();
}

void NatEngine::expire(Instant now) {
  if (table_.next_expiry() <= now)
    counters_.flows_expired += table_.expire(now, [&](ConntrackEntry& e) { release(e, now); });
  if (next_lease_check_ <= now) {
    mappings_.expire_leases(now);
    next_lease_check_ = mappings_.next_lease_end();
  }
}

Instant NatEngine::poll_at() const {
  return earliest(table_.next_expiry(), next_lease_check_);
}

void NatEngine::apply(const Translation& t, std::span<std::uint8_t> packet) {
  rewrite_packet(packet, t.info, t.to);
  decrement_ttl(packet);
}

PmpMapResult NatEngine::pmp_map(Instant now, Protocol proto, Endpoint inside,
                                std::uint16_t suggested, std::uint32_t lifetime) {
  expire(now);
  PmpMapResult r;
  if (lifetime == 0) {
    // RFC 6886 §3.4: a mapping configured statically (a --forward's target)
    // cannot be deleted: Not Authorized.
    if (inside.port != 0 && forward_port_of(proto, inside)) {
      r.code = PmpMapResult::Code::NotAuthorized;
      return r;
    }
    // RFC 6886 §3.4: delete the mapping (internal port 0: all of the host's).
    std::vector<Endpoint> ends;
    mappings_.for_each([&](const NatMapping& m) {
      if (m.proto == proto && m.lease_end && m.inside.addr == inside.addr &&
          (inside.port == 0 || m.inside.port == inside.port))
        ends.push_back(m.inside);
    });
    for (const Endpoint& e : ends) {
      NatMapping* m = mappings_.find_inside(proto, e);
      m->lease_end.reset();
      mappings_.remove_if_unused(*m, now);
    }
    r.external_port = 0;
    r.lifetime = 0;
    return r;
  }
  lifetime = std::min(lifetime, kMaxPmpLifetime);
  if (auto port = forward_port_of(proto, inside)) {
    // RFC 6886 §3.3: an existing mapping is returned as it is — a static
    // one (a --forward's target) is already open to all, on its own port.
    r.external_port = *port;
    r.lifetime = lifetime;
    return r;
  }
  NatMapping* m = mappings_.obtain(proto, inside, suggested);
  if (!m) {
    r.code = PmpMapResult::Code::OutOfResources;
    return r;
  }
  m->lease_end = now + std::chrono::seconds(lifetime);
  next_lease_check_ = earliest(next_lease_check_, *m->lease_end);
  r.external_port = m->external_port;
  r.lifetime = lifetime;
  return r;
}

std::string NatEngine::format_table(Instant now) const {
  std::string out;
  auto left = [&](Instant t) {
    auto us = (t - now).count();
    return us <= 0 ? 0 : (us + 999'999) / 1'000'000;
  };
  std::vector<const ConntrackEntry*> rows;
  table_.for_each([&](const ConntrackEntry& e) { rows.push_back(&e); });
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const ConntrackEntry* e : rows) {
    Endpoint inside, outside, remote;
    if (e->orig_side == Side::Inside) {
      inside = {e->orig.src, e->orig.src_port};
      outside = {e->reply.dst, e->reply.dst_port};
      remote = {e->reply.src, e->reply.src_port};
    } else {
      inside = {e->reply.src, e->reply.src_port};
      outside = {e->orig.dst, e->orig.dst_port};
      remote = {e->orig.src, e->orig.src_port};
    }
    out += fmt::format("{:<4} inside {:<21} outside {:<21} remote {:<21} {:<11} timeout {}s\n",
                       to_string(e->proto()), inside.to_string(), outside.to_string(),
                       remote.to_string(), e->state_name(), left(e->expires));
  }
  mappings_.for_each([&](const NatMapping& m) {
    if (!m.lease_end) return;
    out += fmt::format("{:<4} inside {:<21} outside {:<21} remote {:<21} {:<11} timeout {}s\n",
                       to_string(m.proto), m.inside.to_string(),
                       Endpoint{cfg_.outside.address, m.external_port}.to_string(), "*", "MAPPED",
                       left(*m.lease_end));
  });
  return out;
}

std::string NatEngine::format_counters() const {
  const NatCounters& c = counters_;
  std::string out = fmt::format(
      "flows {}/{} mappings {} created {} expired {} early-drop {} outbound {} inbound {} "
      "hairpinned {} icmp-errors {} local {} rst-out-of-window {} dropped {}",
      table_.size(), table_.max_entries(), mappings_.size(), c.flows_created, c.flows_expired,
      c.early_drops, c.outbound, c.inbound, c.hairpinned, c.icmp_errors_translated, c.local,
      c.rsts_out_of_window, c.dropped_total());
  for (int r = 1; r < static_cast<int>(std::size(c.dropped)); ++r)
    if (c.dropped[r])
      out += fmt::format(" {} {}", to_string(static_cast<DropReason>(r)), c.dropped[r]);
  return out + "\n";
}

}  // namespace synack::nat
