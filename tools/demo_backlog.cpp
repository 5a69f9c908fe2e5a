// Scenario 3: five clients against a listener with a SynQueue of 2 and an
// AcceptQueue of 2 whose application calls accept() only after 10 s.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "demo_report.hpp"
#include "demo_scenarios.hpp"
#include "demo_world.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::demo {

using namespace std::chrono_literals;
using namespace wire::tcp_flags;

namespace {

constexpr int kClients = 5;
// Different distances, so that the SYNs sent at t=0 reach the server one
// after the other and every kind of drop shows up once.
constexpr std::array<int, kClients> kDelayMs = {10, 12, 15, 32, 40};
constexpr Duration kAcceptFrom = 10s;

constexpr std::string_view kText =
    "A listener keeps two queues. The SynQueue holds half-open entries: SYNs answered with a "
    "SYN-ACK whose ACK has not come yet (SYN-RECEIVED); its limit is what the article calls the "
    "backlog (Linux: tcp_max_syn_backlog). The AcceptQueue holds finished connections that the "
    "application has not taken with accept() yet (the backlog argument of listen()). Here both "
    "limits are 2 (syn_backlog=2, backlog=2), and the server's application does not call "
    "accept() for the first 10 s.\n\n"
    "Five clients (10.0.0.11 to .15, one-way delays 10, 12, 15, 32 and 40 ms) each send a SYN "
    "at t=0. The first two fill the SynQueue; client3's SYN finds it full and is dropped without "
    "an answer. Their ACKs move client1 and client2 to the AcceptQueue, which frees room for "
    "client4, but when client4's final ACK arrives the AcceptQueue is full: the ACK is dropped "
    "(Linux's default; abort_on_overflow would send a RST). client4 believes it is connected "
    "while the server keeps it half-open and retransmits its SYN-ACK with growing waits. While "
    "the AcceptQueue is full even new SYNs are dropped, as Linux does (client5, and client3's "
    "retries).\n\n"
    "A dropped SYN gets no answer, so each client retries on its own schedule: 1, 3, 7, 15, 31 "
    "s after its first SYN (the waits double). At 10 s the application starts calling "
    "accept() and the AcceptQueue drains. At 15 s client3's retry gets in, and so does client4, "
    "whose ACK to the server's SYN-ACK retransmission finally finds room; but client5's retry "
    "at 15 s finds the SynQueue full again (client3 and client4 are both half-open at that "
    "moment), so client5 only gets in at 31 s. A SYN flood works the same way: fake SYNs fill the "
    "SynQueue "
    "and real clients are dropped.";

// Listener counters and queue lengths over one second of virtual time.
struct SecondRow {
  std::size_t syn_q_max = 0;
  std::size_t syn_q_end = 0;
  std::size_t acc_q_max = 0;
  std::size_t acc_q_end = 0;
  tcp::ListenerCounters at_end;
  std::uint64_t client_syns = 0;  // SYNs the clients sent (first or retransmitted)
};

struct ClientInfo {
  socket::Stack* host = nullptr;
  socket::TcpStream stream;
  std::optional<Duration> connected;  // client side ESTABLISHED
  std::optional<Duration> accepted;   // the server's accept() returned it
};

class Backlog {
 public:
  Backlog(const DemoOptions& opts, Instant start);
  ScenarioOutcome run();
  void print();

 private:
  void tick();  // the applications, after every event
  void sample();
  void count_client_syns();
  void print_table() const;
  void print_clients() const;
  int client_index(wire::Ipv4Address a) const;

  const DemoOptions& opts_;
  tcp::Trace trace_;
  World world_;
  socket::Stack* server_;
  std::array<ClientInfo, kClients> clients_;
  socket::TcpListener listener_;
  std::vector<socket::TcpStream> accepted_;
  bool accepting_ = false;
  std::map<std::int64_t, SecondRow> seconds_;
  ScenarioOutcome outcome_;
  std::vector<Counters> counters_;
};

Backlog::Backlog(const DemoOptions& opts, Instant start)
    : opts_(opts), world_(opts.seed, 3, start, &trace_, opts.pcap) {
  tcp::TcpConfig cfg;
  cfg.syn_backlog = 2;
  cfg.backlog = 2;
  // The article's failure needs SYNs dropped for a full SynQueue; SYN cookies
  // (synack's default, as Linux's) would answer them (see `synack flood`).
  cfg.syncookies = tcp::SyncookieMode::Off;
  server_ = &world_.add_host("server", wire::Ipv4Address(10, 0, 0, 2), cfg);
  for (int i = 0; i < kClients; ++i) {
    auto addr = wire::Ipv4Address(10, 0, 0, static_cast<std::uint8_t>(11 + i));
    clients_[i].host = &world_.add_host(fmt::format("client{}", i + 1), addr);
    phy::LinkParams lp;
    lp.delay = std::chrono::milliseconds(kDelayMs[i]);
    world_.link(*clients_[i].host, *server_, lp);
  }
}

int Backlog::client_index(wire::Ipv4Address a) const {
  for (int i = 0; i < kClients; ++i)
    if (clients_[i].host->interface().address() == a) return i;
  return -1;
}

void Backlog::sample() {
  auto sec = std::chrono::duration_cast<std::chrono::seconds>(world_.elapsed()).count();
  SecondRow& row = seconds_[sec];
  row.syn_q_end = listener_.syn_queue_size();
  row.acc_q_end = listener_.accept_queue_size();
  row.syn_q_max = std::max(row.syn_q_max, row.syn_q_end);
  row.acc_q_max = std::max(row.acc_q_max, row.acc_q_end);
  row.at_end = listener_.counters();
}

void Backlog::tick() {
  sample();
  for (auto& c : clients_)
    if (!c.connected && c.stream.valid() && c.stream.connected()) c.connected = world_.elapsed();
  while (accepting_) {
    auto s = listener_.accept();
    if (!s) break;
    int i = client_index(s->tuple().remote_addr);
    if (i >= 0) clients_[i].accepted = world_.elapsed();
    accepted_.push_back(std::move(*s));
  }
  sample();
}

void Backlog::count_client_syns() {
  for (const auto& e : trace_.events()) {
    if (e.kind != tcp::TraceKind::SegmentSent || e.segment.flags != kSyn) continue;
    if (e.host.rfind("client", 0) != 0) continue;
    auto sec = std::chrono::duration_cast<std::chrono::seconds>(e.time - world_.start()).count();
    auto it = seconds_.find(sec);
    if (it != seconds_.end()) ++it->second.client_syns;
  }
}

ScenarioOutcome Backlog::run() {
  auto l = server_->listen(80);
  if (!l) {
    outcome_.problems.push_back("listen() failed");
    outcome_.end = world_.now();
    return outcome_;
  }
  listener_ = std::move(*l);
  for (auto& c : clients_) {
    auto s = c.host->connect(server_->interface().address(), 80);
    if (!s) {
      outcome_.problems.push_back(fmt::format("{}: connect() failed", c.host->name()));
      continue;
    }
    c.stream = std::move(*s);
  }
  // The applications: clients note when they are connected; the server
  // accepts everything waiting, once it has started accepting.
  world_.on_step([this] { tick(); });
  tick();
  world_.run_until(world_.at(kAcceptFrom));
  accepting_ = true;
  tick();  // accept what is already waiting, now
  auto all_in = [this] {
    return std::all_of(clients_.begin(), clients_.end(),
                       [](const ClientInfo& c) { return c.connected && c.accepted; });
  };
  world_.run_until(all_in, world_.at(200s));
  // A little longer, so that the last handshake's segments are all shown.
  world_.run_for(100ms);
  for (const auto& c : clients_) {
    if (!c.connected || !c.accepted)
      outcome_.problems.push_back(
          fmt::format("{} never got a connection accepted (see the diagram)", c.host->name()));
  }
  count_client_syns();
  counters_.push_back(listener_counters("listener server 10.0.0.2:80 (syn_backlog=2, backlog=2)",
                                        listener_.counters()));
  counters_.push_back(layer_counters(*server_));
  Counters pools = pool_usage(*server_);
  counters_.push_back(pools.add("(still open)", fmt::format("{} connections", accepted_.size())));
  Counters retries("SYN retransmissions per client");
  for (const auto& c : clients_) {
    if (c.stream.valid()) retries.add(c.host->name(), c.stream.connection().stats().retransmits);
  }
  counters_.push_back(retries);
  world_.on_step(nullptr);
  outcome_.end = world_.now();
  return outcome_;
}

void Backlog::print_table() const {
  print_heading("Queue occupancy per second (seconds in which nothing happened are left out)");
  struct Column {
    const char* top;
    const char* bottom;
    int width;
  };
  static constexpr Column kColumns[] = {
      {"second", "", 7},   {"SynQ", "max", 6},    {"SynQ", "end", 5},       {"AccQ", "max", 6},
      {"AccQ", "end", 5},  {"SYNs", "sent", 7},   {"SYNs", "rcvd", 6},      {"drop", "SynQ", 7},
      {"drop", "AccQ", 6}, {"ACK", "dropped", 9}, {"SYN-ACK", "resent", 9}, {"hand-", "shakes", 8},
      {"accept", "()", 8},
  };
  std::string top;
  std::string bottom;
  for (const Column& c : kColumns) {
    top += fmt::format("{:>{}}", c.top, c.width);
    bottom += fmt::format("{:>{}}", c.bottom, c.width);
  }
  fmt::print("{}\n{}\n", top, bottom);
  tcp::ListenerCounters prev;
  std::size_t prev_sq = 0;
  std::size_t prev_aq = 0;
  for (const auto& [sec, r] : seconds_) {
    const auto& c = r.at_end;
    bool changed = r.client_syns > 0 || c.syns_received != prev.syns_received ||
                   c.synacks_retransmitted != prev.synacks_retransmitted ||
                   c.accept_queue_overflows != prev.accept_queue_overflows ||
                   c.accepted != prev.accepted || c.established != prev.established ||
                   r.syn_q_max != prev_sq || r.acc_q_max != prev_aq;
    prev_sq = r.syn_q_end;
    prev_aq = r.acc_q_end;
    if (!changed) {
      prev = c;
      continue;
    }
    const std::uint64_t values[] = {static_cast<std::uint64_t>(sec),
                                    r.syn_q_max,
                                    r.syn_q_end,
                                    r.acc_q_max,
                                    r.acc_q_end,
                                    r.client_syns,
                                    c.syns_received - prev.syns_received,
                                    c.syn_queue_full_drops - prev.syn_queue_full_drops,
                                    c.accept_queue_full_drops - prev.accept_queue_full_drops,
                                    c.accept_queue_overflows - prev.accept_queue_overflows,
                                    c.synacks_retransmitted - prev.synacks_retransmitted,
                                    c.established - prev.established,
                                    c.accepted - prev.accepted};
    std::string line;
    for (std::size_t i = 0; i < std::size(kColumns); ++i)
      line += fmt::format("{:>{}}", values[i], kColumns[i].width);
    fmt::print("{}\n", line);
    prev = c;
  }
  fmt::print("\n{}\n",
             wrap("SynQ, AccQ: SynQueue and AcceptQueue length, the most during that second and at "
                  "its end. SYNs sent: by the clients, first or retransmitted; rcvd: reaching the "
                  "listener. drop SynQ, drop AccQ: SYNs dropped because the SynQueue or the "
                  "AcceptQueue was full. ACK dropped: final ACKs dropped, AcceptQueue full. "
                  "SYN-ACK resent: retransmissions. handshakes: completed. accept(): connections "
                  "the application took.",
                  opts_.width, "  "));
}

void Backlog::print_clients() const {
  print_heading("Each client");
  fmt::print("  client   address    delay  SYNs sent  connected (client)  accepted (server)\n");
  for (int i = 0; i < kClients; ++i) {
    const auto& c = clients_[i];
    std::uint64_t syns = 0;
    for (const auto& e : trace_.events())
      if (e.kind == tcp::TraceKind::SegmentSent && e.host == c.host->name() &&
          e.segment.flags == kSyn)
        ++syns;
    fmt::print("  {:<8} {:<10} {:>3}ms  {:>9}  {:>18}  {:>17}\n", c.host->name(),
               c.host->interface().address().to_string(), kDelayMs[i], syns,
               c.connected ? seconds(*c.connected) : "never",
               c.accepted ? seconds(*c.accepted) : "never");
  }
  std::vector<std::string> missing;
  std::optional<Duration> last;
  for (const auto& c : clients_) {
    if (!c.accepted) {
      missing.push_back(c.host->name());
    } else if (!last || *c.accepted > *last) {
      last = c.accepted;
    }
  }
  if (missing.empty() && last) {
    fmt::print("  All {} clients got in; the last was accepted at {}.\n", kClients, seconds(*last));
  } else {
    fmt::print(
        "  Not accepted by the end of the run: {} (see the diagram: their SYNs or ACKs kept "
        "being dropped).\n",
        fmt::join(missing, ", "));
  }
  fmt::print("\n");
}

void Backlog::print() {
  std::size_t width = opts_.width;
  print_title(3, "Backlog: SynQueue and AcceptQueue", width);
  print_text(kText, width);
  trace::DiagramOptions d;
  d.left_host = "client*";
  d.right_host = "server";
  d.width = width;
  print_diagram(trace_, world_.start(), d);
  print_table();
  print_clients();
  print_heading("Counters");
  for (const auto& c : counters_)
    c.print(width);
  for (const auto& p : outcome_.problems)
    fmt::print("  PROBLEM: {}\n", p);
  fmt::print("\n");
}

}  // namespace

ScenarioOutcome run_backlog(const DemoOptions& opts, Instant start) {
  Backlog b(opts, start);
  ScenarioOutcome out = b.run();
  b.print();
  return out;
}

}  // namespace synack::demo
