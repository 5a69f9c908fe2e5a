#include "trace/sequence_diagram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "trace/diagram_layout.hpp"
#include "wire/tcp.hpp"

namespace synack::trace {

namespace {

using tcp::SegmentRecord;
using tcp::TcpState;
using tcp::TraceEvent;
using tcp::TraceKind;

struct Endpoint {
  wire::Ipv4Address addr;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

struct ConnKey {
  Endpoint local;
  Endpoint remote;
  auto operator<=>(const ConnKey&) const = default;
};

Endpoint src_of(const SegmentRecord& s) {
  return {s.src, s.src_port};
}
Endpoint dst_of(const SegmentRecord& s) {
  return {s.dst, s.dst_port};
}
ConnKey key_of_state(const TraceEvent& e) {
  return {{e.local_addr, e.local_port}, {e.remote_addr, e.remote_port}};
}
bool unspecified(Endpoint e) {
  return e.addr == wire::Ipv4Address() || e.port == 0;
}
// The same key for both directions of a connection.
ConnKey undirected(Endpoint a, Endpoint b) {
  return a < b ? ConnKey{a, b} : ConnKey{b, a};
}

bool is_glob(std::string_view pattern) {
  return !pattern.empty() && pattern.back() == '*';
}
bool host_matches(std::string_view pattern, std::string_view host) {
  if (is_glob(pattern)) return host.starts_with(pattern.substr(0, pattern.size() - 1));
  return host == pattern;
}

bool is_segment(TraceKind k) {
  return k == TraceKind::SegmentSent || k == TraceKind::SegmentReceived ||
         k == TraceKind::SegmentLost;
}

std::string seq_text(std::uint32_t v, std::optional<std::uint32_t> isn) {
  if (!isn) return std::to_string(v);
  std::uint32_t d = v - *isn;
  // Far behind the ISN (an old duplicate): show it as negative.
  if (d >= 0x80000000u) return fmt::format("-{}", std::uint32_t(0u - d));
  return std::to_string(d);
}

// Each host's state per connection, from StateChange events.
class StateTracker {
 public:
  void apply(const TraceEvent& e) { hosts_[e.host][key_of_state(e)] = e.to; }

  // The best match for a segment from `local` to `remote` (or back): the exact
  // connection, else one with unspecified fields (a listener); open ones first.
  std::optional<TcpState> state(const std::string& host, Endpoint local, Endpoint remote) const {
    auto h = hosts_.find(host);
    if (h == hosts_.end()) return std::nullopt;
    std::optional<TcpState> best;
    int best_rank = -1;
    for (const auto& [k, s] : h->second) {
      int exact = 0;
      auto field = [&exact](auto stored, auto wanted, auto none) {
        if (stored == wanted) {
          ++exact;
          return true;
        }
        return stored == none;
      };
      if (!field(k.local.addr, local.addr, wire::Ipv4Address()) ||
          !field(k.local.port, local.port, std::uint16_t{0}) ||
          !field(k.remote.addr, remote.addr, wire::Ipv4Address()) ||
          !field(k.remote.port, remote.port, std::uint16_t{0}))
        continue;
      int rank = (s != TcpState::Closed ? 8 : 0) + exact;
      if (rank > best_rank) {
        best_rank = rank;
        best = s;
      }
    }
    return best;
  }

 private:
  std::map<std::string, std::map<ConnKey, TcpState>, std::less<>> hosts_;
};

// The ISN of each direction: the first SYN sent that way, renewed by the first
// SYN after the sender (re-)enters SYN-SENT or SYN-RECEIVED on that 4-tuple.
class IsnTracker {
 public:
  void on_state(const TraceEvent& e) {
    if (e.to == TcpState::SynSent || e.to == TcpState::SynReceived) {
      ConnKey k = key_of_state(e);
      renew_.insert({k.local, k.remote});
    }
  }
  void on_segment(const SegmentRecord& s) {
    if (!(s.flags & wire::tcp_flags::kSyn)) return;
    ConnKey k{src_of(s), dst_of(s)};
    bool renew = renew_.erase(k) > 0;
    if (renew || !isn_.contains(k)) isn_[k] = s.seq;
  }
  std::optional<std::uint32_t> isn(Endpoint from, Endpoint to) const {
    auto it = isn_.find({from, to});
    if (it == isn_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<ConnKey, std::uint32_t> isn_;
  std::set<ConnKey> renew_;
};

struct HostInfo {
  std::optional<Endpoint> first;  // first own address (and port) seen
  std::set<wire::Ipv4Address> addrs;
  std::set<std::uint16_t> ports;

  void saw(Endpoint e) {
    if (e.addr == wire::Ipv4Address()) return;
    if (!first) first = e;
    addrs.insert(e.addr);
    if (e.port != 0) ports.insert(e.port);
  }
};

class Renderer {
 public:
  Renderer(const std::vector<TraceEvent>& events, const DiagramOptions& opts)
      : events_(events), opts_(opts), glob_left_(is_glob(opts.left_host)) {}

  std::string run() {
    survey();
    DiagramLayout layout(opts_.width, who_width_);
    std::string out = layout.header(title(Side::Left), title(Side::Right)) + "\n";
    out += layout.rule() + "\n";
    for (std::size_t i = 0; i < events_.size(); ++i) {
      const TraceEvent& e = events_[i];
      // Tracking sees every event; drawing only the selected ones.
      if (e.kind == TraceKind::StateChange) {
        states_.apply(e);
        isns_.on_state(e);
      }
      if (e.kind == TraceKind::SegmentSent || e.kind == TraceKind::SegmentLost)
        isns_.on_segment(e.segment);
      if (!shown(i)) continue;
      for (const std::string& row : draw(layout, i))
        out += row + "\n";
    }
    out += layout.rule() + "\n";
    std::vector<std::string> legend{"legend: ---> segment", "--X lost", "[STATE] host state",
                                    "A -> B transition"};
    if (opts_.relative_seq) legend.push_back("seq/ack relative to ISN");
    std::string line;
    for (const std::string& item : legend) {  // wrap between items
      if (!line.empty() && line.size() + 2 + item.size() > layout.width()) {
        out += line + ",\n";
        line = "        ";
      }
      line += (line.empty() || line.back() == ' ') ? item : ", " + item;
    }
    out += line + "\n";
    return out;
  }

 private:
  std::optional<Side> side_of(const std::string& host) const {
    if (host_matches(opts_.left_host, host)) return Side::Left;
    if (host_matches(opts_.right_host, host)) return Side::Right;
    return std::nullopt;
  }
  static Side other(Side s) { return s == Side::Left ? Side::Right : Side::Left; }
  const std::string& pattern(Side s) const {
    return s == Side::Left ? opts_.left_host : opts_.right_host;
  }

  bool passes_filter(const TraceEvent& e) const {
    if (e.kind == TraceKind::Note) return true;
    Endpoint a, b;
    if (e.kind == TraceKind::StateChange) {
      a = {e.local_addr, e.local_port};
      b = {e.remote_addr, e.remote_port};
    } else {
      a = src_of(e.segment);
      b = dst_of(e.segment);
    }
    auto addr_ok = [&](wire::Ipv4Address x) {
      return x == *opts_.addr || x == wire::Ipv4Address();
    };
    if (opts_.addr && !addr_ok(a.addr) && !addr_ok(b.addr)) return false;
    if (opts_.ports.empty()) return true;
    if (b.port == 0) {  // a listener: belongs to a connection on its port
      return std::find(opts_.ports.begin(), opts_.ports.end(), a.port) != opts_.ports.end();
    }
    return std::all_of(opts_.ports.begin(), opts_.ports.end(),
                       [&](std::uint16_t p) { return p == a.port || p == b.port; });
  }

  // Drawn: a selected host's send, state change or note (or an unpaired loss)
  // with a peer on the other side (when that side's addresses are known).
  bool shown(std::size_t i) const {
    const TraceEvent& e = events_[i];
    if (e.kind == TraceKind::SegmentReceived || paired_loss_.contains(i)) return false;
    auto side = side_of(e.host);
    if (!side || !passes_filter(e)) return false;
    const auto& peers = *side == Side::Left ? right_names_ : left_names_;
    wire::Ipv4Address peer = e.kind == TraceKind::StateChange ? e.remote_addr : e.segment.dst;
    if (e.kind == TraceKind::Note || peer == wire::Ipv4Address() || peers.empty()) return true;
    return peers.contains(peer);
  }

  // The name of the `side` host owning `addr`, if that side has one name or
  // the address was seen on one of its hosts.
  std::optional<std::string> host_at(Side side, wire::Ipv4Address addr) const {
    if (!is_glob(pattern(side))) return pattern(side);
    const auto& names = side == Side::Left ? left_names_ : right_names_;
    auto it = names.find(addr);
    if (it == names.end()) return std::nullopt;
    return it->second;
  }

  // The left host a row concerns (only when the left host is a glob).
  std::string who_of(const TraceEvent& e) const {
    if (!glob_left_) return "";
    if (side_of(e.host) == Side::Left) return e.host;
    wire::Ipv4Address peer;
    if (e.kind == TraceKind::StateChange) {
      peer = e.remote_addr;
    } else if (is_segment(e.kind)) {
      peer = e.segment.dst;
    } else {
      return "";
    }
    if (peer == wire::Ipv4Address()) return "";
    return host_at(Side::Left, peer).value_or(peer.to_string());
  }

  void survey() {
    // Sends not yet matched with a loss, by host and segment.
    using SendKey = std::tuple<std::string, ConnKey, std::uint32_t, std::uint32_t, std::uint8_t,
                               std::uint32_t, std::uint16_t>;
    std::map<SendKey, std::vector<std::size_t>> unpaired_sends;
    for (std::size_t i = 0; i < events_.size(); ++i) {
      const TraceEvent& e = events_[i];
      auto side = side_of(e.host);
      if (side) {
        HostInfo& info = hosts_[e.host];
        if (e.kind == TraceKind::StateChange) info.saw({e.local_addr, e.local_port});
        if (e.kind == TraceKind::SegmentReceived) info.saw(dst_of(e.segment));
        if (e.kind == TraceKind::SegmentSent || e.kind == TraceKind::SegmentLost)
          info.saw(src_of(e.segment));
      }
      if (e.kind != TraceKind::SegmentSent && e.kind != TraceKind::SegmentLost) continue;
      const SegmentRecord& s = e.segment;
      SendKey key{e.host, {src_of(s), dst_of(s)}, s.seq, s.ack, s.flags, s.payload_len, s.window};
      auto& sends = unpaired_sends[key];
      if (e.kind == TraceKind::SegmentSent) {
        sends.push_back(i);
      } else if (!sends.empty()) {
        lost_sends_.insert(sends.back());
        paired_loss_.insert(i);
        sends.pop_back();
      }
    }
    for (const auto& [name, info] : hosts_) {
      auto& names = side_of(name) == Side::Left ? left_names_ : right_names_;
      for (wire::Ipv4Address a : info.addrs)
        names.emplace(a, name);
    }
    // Rows group by the left host they concern; a group with several
    // connections gets ports on its arrows and state changes.
    std::map<std::string, std::set<ConnKey>> conns;
    for (std::size_t i = 0; i < events_.size(); ++i) {
      if (!shown(i)) continue;
      const TraceEvent& e = events_[i];
      std::string who = who_of(e);
      if (glob_left_) who_width_ = std::max(who_width_, std::max<std::size_t>(who.size(), 4));
      if (is_segment(e.kind)) conns[who].insert(undirected(src_of(e.segment), dst_of(e.segment)));
      ConnKey k = key_of_state(e);
      if (e.kind == TraceKind::StateChange && !unspecified(k.remote))
        conns[who].insert(undirected(k.local, k.remote));
    }
    for (const auto& [who, set] : conns) {
      if (set.size() > 1) several_conns_.insert(who);
    }
  }

  std::string title(Side side) const {
    const std::string& p = pattern(side);
    if (is_glob(p)) {
      std::size_t n = std::count_if(hosts_.begin(), hosts_.end(),
                                    [&](const auto& h) { return side_of(h.first) == side; });
      return fmt::format("{} ({} hosts)", p, n);
    }
    auto it = hosts_.find(p);
    if (it == hosts_.end() || !it->second.first) return p;
    const HostInfo& info = it->second;
    if (info.addrs.size() > 1) return fmt::format("{} ({} addresses)", p, info.addrs.size());
    if (info.ports.size() == 1)
      return fmt::format("{} {}:{}", p, info.first->addr.to_string(), *info.ports.begin());
    return fmt::format("{} {}", p, info.first->addr.to_string());
  }

  bool several_addrs(const std::string& host) const {
    auto it = hosts_.find(host);
    return it != hosts_.end() && it->second.addrs.size() > 1;
  }

  static std::string edge(std::optional<TcpState> s) {
    return s ? fmt::format("[{}]", tcp::to_string(*s)) : "";
  }

  std::vector<std::string> option_items(const SegmentRecord& s,
                                        std::optional<std::uint32_t> peer_isn) const {
    std::vector<std::string> items;
    if (!opts_.show_options) return items;
    const wire::TcpOptions& o = s.options;
    if (o.mss) items.push_back(fmt::format("mss {}", *o.mss));
    if (o.sack_permitted) items.push_back("sack");
    if (o.timestamps && (s.flags & wire::tcp_flags::kSyn)) items.push_back("ts");
    if (o.window_scale) items.push_back(fmt::format("ws {}", *o.window_scale));
    if (o.sack_count > 0) {
      std::string blocks = "sack";
      for (std::size_t i = 0; i < o.sack_count && i < o.sack.size(); ++i)
        blocks += fmt::format(" {}-{}", seq_text(o.sack[i].left, peer_isn),
                              seq_text(o.sack[i].right, peer_isn));
      items.push_back(std::move(blocks));
    }
    return items;
  }

  std::vector<std::string> draw(const DiagramLayout& layout, std::size_t i) const {
    const TraceEvent& e = events_[i];
    Side side = *side_of(e.host);
    std::string time = format_time(e.time);
    std::string who = who_of(e);
    bool ports = several_conns_.contains(who);
    if (e.kind == TraceKind::Note) return layout.side_rows(time, who, side, "note: " + e.text);
    if (e.kind == TraceKind::StateChange) {
      std::string text = fmt::format("{} -> {}", tcp::to_string(e.from), tcp::to_string(e.to));
      if (ports && e.remote_port != 0) {
        text +=
            fmt::format(" ({}<->{}:{})", e.local_port, e.remote_addr.to_string(), e.remote_port);
      } else if (ports) {
        text += fmt::format(" (:{})", e.local_port);
      }
      if (!e.text.empty()) text += fmt::format(" ({})", e.text);
      return layout.side_rows(time, who, side, text);
    }

    const SegmentRecord& s = e.segment;
    Endpoint src = src_of(s), dst = dst_of(s);
    std::optional<std::uint32_t> isn, peer_isn;
    if (opts_.relative_seq) {
      isn = isns_.isn(src, dst);
      peer_isn = isns_.isn(dst, src);
    }
    std::string head = wire::flags_to_string(s.flags);
    if (ports) head += fmt::format(" {}>{}", s.src_port, s.dst_port);
    head += " seq=" + seq_text(s.seq, isn);
    if (s.flags & wire::tcp_flags::kAck) head += " ack=" + seq_text(s.ack, peer_isn);
    if (s.payload_len > 0) head += fmt::format(" len={}", s.payload_len);
    std::string addrs;
    auto receiver = host_at(other(side), s.dst);
    bool who_names_peer = glob_left_ && side == Side::Right;
    if (!(glob_left_ && side == Side::Left) && several_addrs(e.host))
      addrs += " src=" + s.src.to_string();
    if (!who_names_peer && receiver && several_addrs(*receiver))
      addrs += " dst=" + s.dst.to_string();

    bool lost = e.kind == TraceKind::SegmentLost || lost_sends_.contains(i);
    constexpr std::string_view kLost = " (lost)";
    std::size_t budget = layout.label_budget(lost);
    budget = lost ? (budget > kLost.size() ? budget - kLost.size() : 0) : budget;
    // Cut options first, then the window, never seq/ack/len.
    auto items = option_items(s, peer_isn);
    std::string label = fit_label(head + fmt::format(" win={}", s.window) + addrs, items, budget);
    if (label.size() > budget) label = fit_label(head + addrs, items, budget);
    if (lost) label += kLost;
    std::string own = edge(states_.state(e.host, src, dst));
    std::string peer = receiver ? edge(states_.state(*receiver, dst, src)) : "";
    std::string arrow = layout.arrow(label, side, lost);
    return {side == Side::Left ? layout.arrow_row(time, who, own, arrow, peer)
                               : layout.arrow_row(time, who, peer, arrow, own)};
  }

  const std::vector<TraceEvent>& events_;
  const DiagramOptions& opts_;
  bool glob_left_;
  StateTracker states_;
  IsnTracker isns_;
  std::map<std::string, HostInfo, std::less<>> hosts_;
  std::map<wire::Ipv4Address, std::string> left_names_, right_names_;
  std::set<std::size_t> lost_sends_, paired_loss_;
  std::set<std::string> several_conns_;
  std::size_t who_width_ = 0;
};

std::string log_options(const wire::TcpOptions& o) {
  std::vector<std::string> items;
  if (o.mss) items.push_back(fmt::format("mss {}", *o.mss));
  if (o.sack_permitted) items.push_back("sack");
  if (o.timestamps)
    items.push_back(fmt::format("ts {}/{}", o.timestamps->tsval, o.timestamps->tsecr));
  if (o.window_scale) items.push_back(fmt::format("ws {}", *o.window_scale));
  if (o.sack_count > 0) {
    std::string blocks = "sack";
    for (std::size_t i = 0; i < o.sack_count && i < o.sack.size(); ++i)
      blocks += fmt::format(" {}-{}", o.sack[i].left, o.sack[i].right);
    items.push_back(std::move(blocks));
  }
  return fit_label("", items, std::string::npos);
}

std::string_view kind_name(TraceKind k) {
  switch (k) {
    case TraceKind::SegmentSent:
      return "send";
    case TraceKind::SegmentReceived:
      return "recv";
    case TraceKind::SegmentLost:
      return "lost";
    case TraceKind::StateChange:
      return "state";
    case TraceKind::Note:
      return "note";
  }
  return "?";
}

}  // namespace

std::string render_sequence_diagram(const std::vector<tcp::TraceEvent>& events,
                                    const DiagramOptions& opts) {
  return Renderer(events, opts).run();
}

std::string render_event_log(const std::vector<tcp::TraceEvent>& events) {
  std::size_t host_width = 0;
  for (const TraceEvent& e : events)
    host_width = std::max(host_width, e.host.size());
  std::string out;
  for (const TraceEvent& e : events) {
    std::string details;
    if (is_segment(e.kind)) {
      const SegmentRecord& s = e.segment;
      details = fmt::format("{}:{} > {}:{} {} seq={}", s.src.to_string(), s.src_port,
                            s.dst.to_string(), s.dst_port, wire::flags_to_string(s.flags), s.seq);
      if (s.flags & wire::tcp_flags::kAck) details += fmt::format(" ack={}", s.ack);
      if (s.payload_len > 0) details += fmt::format(" len={}", s.payload_len);
      details += fmt::format(" win={}", s.window);
      details += log_options(s.options);
    } else if (e.kind == TraceKind::StateChange) {
      details = fmt::format("{}:{} <-> {}:{} {} -> {}", e.local_addr.to_string(), e.local_port,
                            e.remote_addr.to_string(), e.remote_port, tcp::to_string(e.from),
                            tcp::to_string(e.to));
      if (!e.text.empty()) details += fmt::format(" ({})", e.text);
    } else {
      details = e.text;
    }
    out += fmt::format("{}  {:<{}}  {:<5}  {}\n", format_time(e.time), e.host, host_width,
                       kind_name(e.kind), details);
  }
  return out;
}

}  // namespace synack::trace
