#include "demo_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synack::demo {

std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
  std::string out;
  std::string line;
  auto flush_line = [&] {
    if (!line.empty()) {
      out += indent;
      out += line;
      out += '\n';
      line.clear();
    }
  };
  std::size_t avail = width > indent.size() + 20 ? width - indent.size() : 20;
  std::size_t i = 0;
  while (i < text.size()) {
    // A blank line ends a paragraph.
    if (text[i] == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
      flush_line();
      out += '\n';
      while (i < text.size() && text[i] == '\n')
        ++i;
      continue;
    }
    if (text[i] == ' ' || text[i] == '\n') {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n')
      ++end;
    std::string_view word = text.substr(i, end - i);
    if (!line.empty() && line.size() + 1 + word.size() > avail) flush_line();
    if (!line.empty()) line += ' ';
    line += word;
    i = end;
  }
  flush_line();
  return out;
}

void print_title(int number, std::string_view title, std::size_t width) {
  std::string rule(std::max<std::size_t>(width, 40), '#');
  fmt::print("{}\n#  Scenario {}: {}\n{}\n\n", rule, number, title, rule);
}

void print_text(std::string_view text, std::size_t width) {
  fmt::print("{}\n", wrap(text, width));
}

void print_heading(std::string_view text) {
  fmt::print("{}\n{}\n", text, std::string(text.size(), '-'));
}

void print_diagram(const tcp::Trace& trace, Instant start, const trace::DiagramOptions& opts) {
  std::vector<tcp::TraceEvent> events = trace.events();
  for (auto& e : events)
    e.time = Instant(e.time - start);
  fmt::print("{}\n", trace::render_sequence_diagram(events, opts));
}

std::string seconds(Duration d) {
  return fmt::format("{:.3f}s", static_cast<double>(d.count()) / 1e6);
}

std::vector<SendTime> send_times(const tcp::Trace& trace, Instant start, std::string_view host,
                                 std::uint8_t flags) {
  std::vector<SendTime> out;
  std::vector<const tcp::TraceEvent*> sent;
  for (const auto& e : trace.events()) {
    if (e.host != host || e.segment.flags != flags) continue;
    if (e.kind == tcp::TraceKind::SegmentSent) {
      sent.push_back(&e);
      out.push_back(SendTime{e.time - start, false});
    } else if (e.kind == tcp::TraceKind::SegmentLost) {
      // The loss is recorded when the frame leaves: match the latest send of
      // the same segment at that instant.
      for (std::size_t i = sent.size(); i-- > 0;) {
        if (sent[i]->time == e.time && sent[i]->segment.seq == e.segment.seq && !out[i].lost) {
          out[i].lost = true;
          break;
        }
      }
    }
  }
  return out;
}

std::string format_send_times(const std::vector<SendTime>& times) {
  std::string s;
  for (const auto& t : times) {
    if (!s.empty()) s += ", ";
    s += seconds(t.at);
    if (t.lost) s += " (lost)";
  }
  return s.empty() ? "none" : s;
}

Counters& Counters::add(std::string name, std::uint64_t value) {
  items_.emplace_back(std::move(name), fmt::format("{}", value));
  return *this;
}

Counters& Counters::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
  return *this;
}

void Counters::print(std::size_t width) const {
  fmt::print("  {}\n", title_);
  std::size_t name_w = 0;
  std::size_t value_w = 0;
  for (auto& [n, v] : items_) {
    name_w = std::max(name_w, n.size());
    value_w = std::max(value_w, v.size());
  }
  std::size_t cell = name_w + 2 + value_w + 3;
  std::size_t columns = std::max<std::size_t>(1, (width > 4 ? width - 4 : width) / cell);
  std::size_t rows = (items_.size() + columns - 1) / columns;
  // Column-major, like ls: read down, then across.
  for (std::size_t r = 0; r < rows; ++r) {
    std::string line = "    ";
    for (std::size_t c = 0; c < columns; ++c) {
      std::size_t i = c * rows + r;
      if (i >= items_.size()) break;
      line += fmt::format("{:<{}}  {:>{}}", items_[i].first, name_w, items_[i].second, value_w);
      if (c + 1 < columns) line += "   ";
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    fmt::print("{}\n", line);
  }
}

Counters listener_counters(std::string title, const tcp::ListenerCounters& c) {
  Counters out(std::move(title));
  out.add("SYNs received", c.syns_received)
      .add("SYN-ACKs sent", c.synacks_sent)
      .add("SYN-ACKs retransmitted", c.synacks_retransmitted)
      .add("half-open expired", c.half_open_expired)
      .add("SYN dropped: SynQueue full", c.syn_queue_full_drops)
      .add("SYN dropped: AcceptQueue full", c.accept_queue_full_drops)
      .add("final ACK dropped (overflow)", c.accept_queue_overflows)
      .add("RSTs received", c.resets_received)
      .add("RSTs sent", c.resets_sent)
      .add("SYN cookies sent", c.cookies_sent)
      .add("SYN cookies validated", c.cookies_validated)
      .add("SYN cookies rejected", c.cookies_rejected)
      .add("handshakes completed", c.established)
      .add("accepted", c.accepted);
  return out;
}

Counters layer_counters(const socket::Stack& host) {
  const auto& c = host.tcp().counters();
  Counters out(
      fmt::format("TCP layer of {} ({})", host.name(), host.interface().address().to_string()));
  out.add("segments in", c.segments_in)
      .add("segments out", c.segments_out)
      .add("RSTs for unmatched", c.resets_sent)
      .add("TIME-WAIT ACKs", c.time_wait_acks)
      .add("TIME-WAIT expired", c.time_wait_expired);
  return out;
}

namespace {
std::string pool_text(const PoolStats& p) {
  // The bound is what the pool may grow to; reserved is what it holds now.
  return fmt::format("{} live, {} peak, {} allocs, {} refused; {} slots reserved of {}", p.live,
                     p.high_water, p.allocations, p.failures, p.reserved, p.capacity);
}
}  // namespace

Counters pool_usage(const socket::Stack& host) {
  Counters out(fmt::format("memory pools of {}", host.name()));
  out.add("connections", pool_text(host.tcp().connection_pool()))
      .add("half-open entries", pool_text(host.tcp().request_pool()))
      .add("TIME-WAIT mini-sockets", pool_text(host.tcp().time_wait_pool()));
  return out;
}

Counters connection_stats(std::string title, const tcp::Connection& c) {
  const auto& s = c.stats();
  Counters out(fmt::format("{} {}:{} -> {}:{} ({})", title, c.tuple().local_addr.to_string(),
                           c.tuple().local_port, c.tuple().remote_addr.to_string(),
                           c.tuple().remote_port, tcp::to_string(c.state())));
  out.add("segments sent", s.segments_sent)
      .add("segments received", s.segments_received)
      .add("bytes sent", s.bytes_sent)
      .add("bytes received", s.bytes_received)
      .add("retransmits", s.retransmits)
      .add("RTO expiries", s.timeouts)
      .add("srtt", c.rtt().has_sample() ? fmt::format("{}ms", to_ms(c.rtt().srtt())) : "-")
      .add("rto", fmt::format("{}ms", to_ms(c.rtt().rto())));
  return out;
}

Counters filter_stats(const phy::FilteredPort& f) {
  Counters out(fmt::format("targeted loss on {}'s link", f.host_name()));
  for (const auto& r : f.rules())
    out.add(r.description, fmt::format("{} dropped", r.dropped));
  return out;
}

}  // namespace synack::demo
