// Scenarios 1 and 2: one client, one server, one request and its answer,
// first on a clean link, then with two handshake messages lost.
#include "demo_scenarios.hpp"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "demo_report.hpp"
#include "demo_world.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::demo {

using namespace std::chrono_literals;
using namespace wire::tcp_flags;

namespace {

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";
constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

constexpr std::string_view kCleanText =
    "The client (10.0.0.1) opens a connection to the server (10.0.0.2, port 80) over a link "
    "that takes 10 ms each way. First the three-way handshake: SYN, SYN-ACK, ACK. The SYN "
    "carries no data but uses one sequence number, so the first data byte is seq=1 (numbers "
    "are shown relative to each side's initial sequence number). While the server waits for "
    "the ACK, the connection is a half-open entry in its SynQueue (SYN-RECEIVED); the ACK "
    "moves it to the AcceptQueue, where it waits for the application's accept().\n\n"
    "Why three messages and not two? If a SYN alone opened the connection, a long-delayed SYN "
    "of an old connection could make the server open one and wait for data that never comes. "
    "The third message shows that the client really wants this connection (for a stale SYN "
    "the client would answer the SYN-ACK with a RST instead).\n\n"
    "Then the client sends a short HTTP request, the server answers, and the client, having "
    "its answer, closes first: FIN, ACK, FIN, ACK (the four-way close; TCP is full duplex, so "
    "each direction is closed on its own). The side that closes first stays in TIME-WAIT for "
    "2*MSL = 60 s, so that stray old segments die out before the same addresses and ports can "
    "be used again; the clock runs on until it ends.";

constexpr std::string_view kLossyText =
    "The same exchange, but the network loses two handshake messages, once each (marked "
    "--X (lost)): the server's first SYN-ACK and the client's ACK that should complete the "
    "handshake.\n\n"
    "The server keeps its half-open entry and retransmits the SYN-ACK, waiting longer each "
    "time: 1 s, then 2, 4, 8, 16 and 32 s. With the default 5 retries an entry that is never "
    "answered lives 1+2+4+8+16+32 = 63 s (the half-open lifetime, or SYN-RECEIVED timeout) "
    "before it is deleted. The client, hearing nothing, retransmits its SYN after 1 s (its "
    "waits double too: 1, 2, 4 ... s), and the server answers that SYN with its SYN-ACK at "
    "once.\n\n"
    "Then the final ACK is lost. The client does not know: it is ESTABLISHED and free to send. "
    "The server is still half-open (SYN-RECEIVED) and cannot accept() anything. Here the client "
    "waits 1 s before sending its request; that data segment also acknowledges the SYN-ACK, "
    "so it completes the handshake on the server (had it not come, the next SYN-ACK "
    "retransmission would have drawn a new ACK from the client).";

class Exchange {
 public:
  Exchange(const DemoOptions& opts, Instant start, bool lossy)
      : opts_(opts), lossy_(lossy), world_(opts.seed, lossy ? 2 : 1, start, &trace_, opts.pcap) {
    client_ = &world_.add_host("client", wire::Ipv4Address(10, 0, 0, 1));
    server_ = &world_.add_host("server", wire::Ipv4Address(10, 0, 0, 2));
    phy::LinkParams lp;
    lp.delay = 10ms;
    world_.link(*client_, *server_, lp);
    if (lossy) {
      world_.filter(*server_).drop_tcp("1st SYN-ACK", phy::tcp_flags_are(kSyn | kAck));
      world_.filter(*client_).drop_tcp("1st bare ACK (the handshake's third message)",
                                       phy::tcp_bare_ack());
    }
  }

  ScenarioOutcome run();
  void print(int number, std::string_view title, std::string_view text);

 private:
  bool wait(std::string_view what, Duration limit, const std::function<bool()>& done);
  void problem(std::string text) { outcome_.problems.push_back(std::move(text)); }

  const DemoOptions& opts_;
  bool lossy_;
  tcp::Trace trace_;
  World world_;
  socket::Stack* client_;
  socket::Stack* server_;
  socket::TcpListener listener_;
  socket::TcpStream stream_;
  std::optional<socket::TcpStream> accepted_;
  ScenarioOutcome outcome_;
  std::string request_received_;
  std::string response_received_;
  Duration client_established_{};
  Duration server_established_{};
  std::vector<Counters> counters_;  // taken before the handles are let go
};

// When `host` first made a transition to `to` (since the scenario started).
std::optional<Duration> first_transition(const tcp::Trace& trace, Instant start,
                                         std::string_view host, tcp::TcpState to) {
  for (const auto& e : trace.events()) {
    if (e.kind == tcp::TraceKind::StateChange && e.host == host && e.to == to)
      return e.time - start;
  }
  return std::nullopt;
}

// When `host` last left state `from`.
std::optional<Duration> last_exit(const tcp::Trace& trace, Instant start, std::string_view host,
                                  tcp::TcpState from) {
  std::optional<Duration> t;
  for (const auto& e : trace.events()) {
    if (e.kind == tcp::TraceKind::StateChange && e.host == host && e.from == from)
      t = e.time - start;
  }
  return t;
}

bool Exchange::wait(std::string_view what, Duration limit, const std::function<bool()>& done) {
  if (world_.run_until(done, world_.now() + limit)) return true;
  problem(fmt::format("gave up at {} waiting for {}", seconds(world_.elapsed()), what));
  return false;
}

ScenarioOutcome Exchange::run() {
  auto l = server_->listen(80);
  auto s = client_->connect(server_->interface().address(), 80);
  if (!l || !s) {
    problem("listen() or connect() failed");
    outcome_.end = world_.now();
    return outcome_;
  }
  listener_ = std::move(*l);
  stream_ = std::move(*s);
  // The server's application: accept() as soon as a connection is ready.
  world_.on_step([this] {
    if (!accepted_) {
      accepted_ = listener_.accept();
      if (accepted_) server_established_ = world_.elapsed();
    }
  });

  bool ok = wait("the client's handshake", 130s, [this] { return stream_.connected(); });
  client_established_ = world_.elapsed();
  // In the lossy run the client "thinks" for a second, so that the server is
  // seen half-open while the client is already established.
  if (ok && lossy_) world_.run_for(1s);
  if (ok) stream_.write(kRequest);
  ok = ok && wait("the request to reach the server's application", 130s,
                  [this] { return accepted_ && accepted_->readable() >= kRequest.size(); });
  std::uint8_t buf[256];
  if (ok) {
    std::size_t n = accepted_->read(buf);
    request_received_.assign(reinterpret_cast<const char*>(buf), n);
    accepted_->write(kResponse);
  }
  ok = ok && wait("the response", 130s, [this] { return stream_.readable() >= kResponse.size(); });
  if (ok) {
    std::size_t n = stream_.read(buf);
    response_received_.assign(reinterpret_cast<const char*>(buf), n);
    stream_.close();  // the client closes first
  }
  ok = ok && wait("the client's FIN", 130s, [this] { return accepted_->at_eof(); });
  if (ok) accepted_->close();
  ok = ok && wait("both sides to finish closing", 130s,
                  [this] { return stream_.closed() && accepted_->closed(); });
  if (ok && stream_.state() != tcp::TcpState::TimeWait)
    problem(fmt::format("the client ended in {}, not TIME-WAIT", tcp::to_string(stream_.state())));
  // Let TIME-WAIT run out (2*MSL).
  ok = ok && wait("TIME-WAIT to end", 130s,
                  [this] { return client_->tcp().counters().time_wait_expired > 0; });
  if (request_received_ != kRequest) problem("the server did not receive the request intact");
  if (response_received_ != kResponse) problem("the client did not receive the response intact");
  // The counters as they stand, then the applications let go of their
  // handles: every pool must drain (no leak).
  counters_.push_back(listener_counters("listener server 10.0.0.2:80", listener_.counters()));
  counters_.push_back(connection_stats("client connection", stream_.connection()));
  if (accepted_)
    counters_.push_back(connection_stats("server connection", accepted_->connection()));
  counters_.push_back(layer_counters(*client_));
  counters_.push_back(layer_counters(*server_));
  if (lossy_) {
    counters_.push_back(filter_stats(world_.filter(*server_)));
    counters_.push_back(filter_stats(world_.filter(*client_)));
  }
  world_.on_step(nullptr);
  stream_ = socket::TcpStream();
  accepted_.reset();
  listener_ = socket::TcpListener();
  world_.run_for(1s);
  for (socket::Stack* host : {client_, server_}) {
    counters_.push_back(pool_usage(*host));
    const auto& t = host->tcp();
    if (t.connection_pool().live + t.request_pool().live + t.time_wait_pool().live != 0)
      problem(fmt::format("{} still holds objects after everything closed", host->name()));
  }
  outcome_.end = world_.now();
  return outcome_;
}

void Exchange::print(int number, std::string_view title, std::string_view text) {
  std::size_t width = opts_.width;
  print_title(number, title, width);
  print_text(text, width);
  trace::DiagramOptions d;
  d.left_host = "client";
  d.right_host = "server";
  d.width = width;
  print_diagram(trace_, world_.start(), d);

  print_heading("What happened");
  std::string story;
  const Instant t0 = world_.start();
  auto syns = send_times(trace_, t0, "client", kSyn);
  auto synacks = send_times(trace_, t0, "server", kSyn | kAck);
  story += fmt::format("  client: SYN sent at {}; ESTABLISHED at {}.\n", format_send_times(syns),
                       seconds(client_established_));
  story += fmt::format("  server: SYN-ACK sent at {}.\n", format_send_times(synacks));
  for (std::size_t i = 1; i < synacks.size(); ++i) {
    if (synacks[i].at == synacks[i - 1].at)
      story += fmt::format(
          "  (Two SYN-ACKs at {}: one answers the client's repeated SYN, the other is the\n"
          "  server's own retransmission, whose timer ran out at the same instant.)\n",
          seconds(synacks[i].at));
  }
  auto half_open = first_transition(trace_, t0, "server", tcp::TcpState::SynReceived);
  auto server_est = first_transition(trace_, t0, "server", tcp::TcpState::Established);
  if (half_open && server_est) {
    story +=
        fmt::format("  server: half-open (SYN-RECEIVED) from {} to {}; accept() returned at {}.\n",
                    seconds(*half_open), seconds(*server_est), seconds(server_established_));
    if (lossy_ && *server_est > client_established_)
      story +=
          fmt::format("  For {} the client was ESTABLISHED while the server was still half-open.\n",
                      seconds(*server_est - client_established_));
  }
  story +=
      fmt::format("  request {} bytes, response {} bytes, both delivered intact: {}.\n",
                  kRequest.size(), kResponse.size(),
                  request_received_ == kRequest && response_received_ == kResponse ? "yes" : "NO");
  auto tw_in = first_transition(trace_, world_.start(), "client", tcp::TcpState::TimeWait);
  auto tw_out = last_exit(trace_, world_.start(), "client", tcp::TcpState::TimeWait);
  if (tw_in && tw_out)
    story += fmt::format("  client entered TIME-WAIT at {} and left it at {}: {} = 2*MSL.\n",
                         seconds(*tw_in), seconds(*tw_out), seconds(*tw_out - *tw_in));
  fmt::print("{}\n", story);

  print_heading("Counters");
  for (const auto& c : counters_)
    c.print(width);
  for (const auto& p : outcome_.problems)
    fmt::print("  PROBLEM: {}\n", p);
  fmt::print("\n");
}

}  // namespace

ScenarioOutcome run_clean_handshake(const DemoOptions& opts, Instant start) {
  Exchange ex(opts, start, false);
  ScenarioOutcome out = ex.run();
  ex.print(1, "Clean handshake", kCleanText);
  return out;
}

ScenarioOutcome run_lost_handshake(const DemoOptions& opts, Instant start) {
  Exchange ex(opts, start, true);
  ScenarioOutcome out = ex.run();
  ex.print(2, "Lost SYN-ACK and lost final ACK", kLossyText);
  return out;
}

}  // namespace synack::demo
