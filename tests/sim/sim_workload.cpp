#include "sim_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "phy/simulation.hpp"
#include "sim_progress.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::simtest {

using namespace std::chrono_literals;
using socket::SocketError;
using tcp::TcpState;

namespace {

enum class Role : std::uint8_t {
  CloseFirst,    // writes all, reads all the peer sends, then close()
  CloseSecond,   // writes all, reads to EOF, then close()
  HalfCloser,    // writes all, shutdown(), reads to EOF, close()
  HalfPeer,      // writes half_split bytes, reads to EOF, writes the rest, close()
  Simultaneous,  // writes and reads all; the driver closes both sides
};

struct Endpoint {
  std::string name;
  Role role = Role::CloseFirst;
  const SideSpec* spec = nullptr;
  Rng rng{0};
  std::vector<std::uint8_t> out;  // what this side writes
  std::size_t expect = 0;         // how much the peer writes
  socket::TcpStream stream;
  tcp::FourTuple tuple;
  std::size_t written = 0;
  std::vector<std::uint8_t> in;  // what this side read
  std::vector<std::uint8_t> scratch;
  bool eof = false;
  bool shut = false;
  bool closed_called = false;
  bool ready = false;        // Simultaneous: everything written and read
  bool wait_closed = false;  // coroutines: wait_closed() returned
  std::vector<std::string> errors;
  Signal reader_done;
  Signal driver_closed;
  Signal read_gate;  // reading starts when it fires (after the read pause)
  std::vector<Job> jobs;

  std::size_t write_limit() const {
    return role == Role::HalfPeer && !eof ? spec->half_split : out.size();
  }
  std::size_t next_write() {
    return std::min<std::size_t>(write_limit() - written, rng.between(1, spec->max_write));
  }
  bool read_all_expected() const {
    return (role == Role::CloseFirst || role == Role::Simultaneous) && in.size() >= expect;
  }
  void note_error(std::string_view what, SocketError e) {
    errors.push_back(fmt::format("{}: {} failed: {}", name, what, socket::to_string(e)));
  }
  void do_close() {
    closed_called = true;
    stream.close();
  }
};

bool synchronized(const Endpoint& e) {
  return tcp::is_synchronized(e.stream.state());
}

// Callbacks: the close decisions, once the side is connected.
void advance(Endpoint& e) {
  if (e.closed_called || !synchronized(e)) return;
  bool all_written = e.written == e.out.size();
  switch (e.role) {
    case Role::CloseFirst:
      if (all_written && e.in.size() >= e.expect) e.do_close();
      break;
    case Role::CloseSecond:
    case Role::HalfPeer:
      if (all_written && e.eof) e.do_close();
      break;
    case Role::HalfCloser:
      if (all_written && !e.shut) {
        e.shut = true;
        e.stream.shutdown();
      }
      if (e.shut && e.eof) e.do_close();
      break;
    case Role::Simultaneous:
      e.ready = all_written && e.in.size() >= e.expect;
      break;
  }
}

// Callbacks: the whole side is this function, called on every event.
void pump(Endpoint& e) {
  if (!e.stream.valid()) return;
  const bool had_eof = e.eof;
  if (e.stream.error() != SocketError::None) {
    if (e.errors.empty()) e.note_error("stream", e.stream.error());
    return;
  }
  while (!e.shut && !e.closed_called && e.written < e.write_limit()) {
    std::size_t want = e.next_write();
    std::size_t n = e.stream.write(std::span(e.out).subspan(e.written, want));
    e.written += n;
    if (n < want) break;
  }
  if (!e.closed_called && e.read_gate.fired) {
    while (true) {
      e.scratch.resize(e.rng.between(1, e.spec->max_read));
      std::size_t n = e.stream.read(e.scratch);
      if (n == 0) break;
      e.in.insert(e.in.end(), e.scratch.begin(),
                  e.scratch.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (e.stream.at_eof()) e.eof = true;
  }
  advance(e);
  // Reading to EOF may have released the rest of a half-close peer's data.
  if (e.role == Role::HalfPeer && !had_eof && e.eof && !e.closed_called) pump(e);
}

Job reader_job(Endpoint& e) {
  co_await e.read_gate;
  while (!e.read_all_expected()) {
    e.scratch.resize(e.rng.between(1, e.spec->max_read));
    auto r = co_await e.stream.read_some(e.scratch);
    if (!r) {
      e.note_error("read_some", r.error());
      break;
    }
    if (*r == 0) {
      e.eof = true;
      break;
    }
    e.in.insert(e.in.end(), e.scratch.begin(), e.scratch.begin() + static_cast<std::ptrdiff_t>(*r));
  }
  e.reader_done.fire();
}

// Coroutines: the whole side is this task (the server's starts by accepting).
Job main_job(Endpoint& e, socket::TcpListener* listener) {
  if (listener) {
    auto r = co_await listener->accept_async();
    if (!r) {
      e.note_error("accept_async", r.error());
      co_return;
    }
    e.stream = std::move(*r);
  } else if (SocketError err = co_await e.stream.wait_connected(); err != SocketError::None) {
    e.note_error("wait_connected", err);
    co_return;
  }
  e.tuple = e.stream.tuple();
  e.jobs.push_back(reader_job(e));
  for (int phase = 0; phase < 2; ++phase) {
    if (phase == 1) {
      if (e.role == Role::HalfCloser) {
        e.shut = true;
        e.stream.shutdown();
      }
      co_await e.reader_done;
      if (!e.errors.empty()) co_return;
    }
    while (e.written < e.write_limit()) {
      std::size_t n = e.next_write();
      SocketError err = co_await e.stream.write_all(std::span(e.out).subspan(e.written, n));
      if (err != SocketError::None) {
        e.note_error("write_all", err);
        co_return;
      }
      e.written += n;
    }
  }
  if (e.role == Role::Simultaneous) {
    e.ready = true;
    co_await e.driver_closed;
  } else {
    e.do_close();
  }
  if (SocketError err = co_await e.stream.wait_closed(); err != SocketError::None)
    e.note_error("wait_closed", err);
  e.wait_closed = true;
}

// State changes one host recorded for one connection, in order.
std::vector<const tcp::TraceEvent*> changes_of(const tcp::Trace& trace, const std::string& host,
                                               const tcp::FourTuple& t) {
  std::vector<const tcp::TraceEvent*> out;
  for (const auto& e : trace.events())
    if (e.kind == tcp::TraceKind::StateChange && e.host == host && e.local_port == t.local_port &&
        e.remote_port == t.remote_port && e.remote_addr == t.remote_addr)
      out.push_back(&e);
  return out;
}

// TIME-WAIT only answers (RFC 9293 §3.10.7.4): from `from` on, every segment
// the host sends on the connection must go out at the instant it received
// one (at `from` itself: the ACK of the segment that led to TIME-WAIT).
// Returns the first unprompted send, or null.
const tcp::TraceEvent* unprompted_send(const tcp::Trace& trace, const tcp::TraceEvent* from,
                                       const std::string& host, const tcp::FourTuple& t) {
  const auto& events = trace.events();
  Instant last_rx = from->time;
  for (std::size_t i = static_cast<std::size_t>(from - events.data()); i < events.size(); ++i) {
    const tcp::TraceEvent& e = events[i];
    if (e.host != host) continue;
    const tcp::SegmentRecord& s = e.segment;
    if (e.kind == tcp::TraceKind::SegmentReceived && s.dst_port == t.local_port &&
        s.src_port == t.remote_port && s.src == t.remote_addr)
      last_rx = e.time;
    if (e.kind == tcp::TraceKind::SegmentSent && s.src_port == t.local_port &&
        s.dst_port == t.remote_port && s.dst == t.remote_addr && e.time != last_rx)
      return &e;
  }
  return nullptr;
}

std::string path_string(const std::vector<const tcp::TraceEvent*>& changes) {
  std::string s;
  for (const auto* e : changes)
    s += fmt::format("{}{}", s.empty() ? std::string(tcp::to_string(e->from)) : "",
                     fmt::format(" -> {}", tcp::to_string(e->to)));
  return s.empty() ? "(none)" : s;
}

}  // namespace

iface::InterfaceConfig host_config(const char* name, const char* cidr, std::size_t mtu,
                                   const tcp::TcpConfig& tcp) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  c.mtu = mtu;
  c.tcp = tcp;
  return c;
}

Outcome run_scenario(const Scenario& sc, tcp::Trace& trace) {
  Outcome out;
  auto fail = [&out](std::string s) { out.problems.push_back(std::move(s)); };
  phy::Simulation sim(sc.seed);
  socket::Stack& client =
      sim.add_host(host_config("client", "10.0.0.1/24", sc.client.mtu, sc.client.tcp));
  socket::Stack& server =
      sim.add_host(host_config("server", "10.0.0.2/24", sc.server.mtu, sc.server.tcp));
  sim.link(client, server, sc.c2s, sc.s2c);
  sim.set_trace(&trace);
  const Instant start = sim.now();
  const Instant limit = start + sc.limit;

  Endpoint ce, se;
  Rng data(sc.seed ^ 0xda7a5eedull);
  for (Endpoint* e : {&ce, &se}) {
    e->name = e == &ce ? "client" : "server";
    e->spec = e == &ce ? &sc.client : &sc.server;
    e->rng = Rng(data.next());
    e->out = random_bytes(data, e->spec->bytes);
    e->jobs.reserve(2);  // main_job and reader_job
    if (e->spec->read_pause == Duration(0)) e->read_gate.fire();
  }
  ce.expect = se.out.size();
  se.expect = ce.out.size();
  switch (sc.order) {
    case CloseOrder::ClientFirst:
      ce.role = Role::CloseFirst, se.role = Role::CloseSecond;
      break;
    case CloseOrder::ServerFirst:
      ce.role = Role::CloseSecond, se.role = Role::CloseFirst;
      break;
    case CloseOrder::Simultaneous:
      ce.role = se.role = Role::Simultaneous;
      break;
    case CloseOrder::ClientHalfClose:
      ce.role = Role::HalfCloser, se.role = Role::HalfPeer;
      break;
    case CloseOrder::ServerHalfClose:
      ce.role = Role::HalfPeer, se.role = Role::HalfCloser;
      break;
  }

  auto listener_r = server.listen(80);
  if (!listener_r) {
    fail("listen failed");
    return out;
  }
  std::optional<socket::TcpListener> listener(std::move(*listener_r));
  if (sc.server.api == Api::Callbacks) {
    listener->on_acceptable([&] {
      if (se.stream.valid()) return;
      if (auto s = listener->accept()) {
        se.stream = std::move(*s);
        se.tuple = se.stream.tuple();
        se.stream.on_event([&se] { pump(se); });
        pump(se);
      }
    });
  } else {
    se.jobs.push_back(main_job(se, &*listener));
  }
  auto conn = client.connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  if (!conn) {
    fail(fmt::format("connect failed: {}", socket::to_string(conn.error())));
    return out;
  }
  ce.stream = std::move(*conn);
  ce.tuple = ce.stream.tuple();
  if (sc.client.api == Api::Callbacks) {
    ce.stream.on_event([&ce] { pump(ce); });
    pump(ce);
  } else {
    ce.jobs.push_back(main_job(ce, nullptr));
  }

  // Runs until `done` or `until`, opening each side's read gate on time.
  auto run = [&](const std::function<bool()>& done, Instant until) {
    while (true) {
      Instant gate = kNever;
      for (Endpoint* e : {&ce, &se})
        if (!e->read_gate.fired) gate = earliest(gate, start + e->spec->read_pause);
      if (gate > until) return sim.run_until(done, until);
      if (sim.run_until(done, gate)) return true;
      for (Endpoint* e : {&ce, &se}) {
        if (e->read_gate.fired || start + e->spec->read_pause > sim.now()) continue;
        e->read_gate.fire();
        if (e->spec->api == Api::Callbacks) pump(*e);
      }
    }
  };
  auto closed = [](const Endpoint& e) { return e.stream.valid() && e.stream.closed(); };
  if (sc.order == CloseOrder::Simultaneous) {
    run([&] { return (ce.ready && se.ready) || closed(ce) || closed(se); }, limit);
    if (ce.ready && se.ready) {
      Endpoint& a = sc.server_closes_first_in_skew ? se : ce;
      Endpoint& b = sc.server_closes_first_in_skew ? ce : se;
      a.do_close();
      a.driver_closed.fire();
      if (sc.close_skew > Duration(0)) sim.run_for(sc.close_skew);
      if (!b.closed_called) {
        b.do_close();
        b.driver_closed.fire();
      }
    }
  }
  auto all_done = [&] {
    auto jobs_done = [](const Endpoint& e) {
      return std::all_of(e.jobs.begin(), e.jobs.end(), [](const Job& j) { return j.done(); });
    };
    // Each side has played its part (or failed), and both connections ended.
    auto finished = [&](const Endpoint& e) {
      return closed(e) && jobs_done(e) &&
             (e.closed_called || !e.errors.empty() || e.stream.error() != SocketError::None);
    };
    return finished(ce) && finished(se);
  };
  if (!run(all_done, limit)) {
    fail(fmt::format("not finished after {} s: client {} ({}), server {} ({})",
                     to_ms(sc.limit) / 1000,
                     ce.stream.valid() ? tcp::to_string(ce.stream.state()) : "no stream",
                     ce.closed_called ? "closed" : "open",
                     se.stream.valid() ? tcp::to_string(se.stream.state()) : "no stream",
                     se.closed_called ? "closed" : "open"));
  }
  out.exchange_time = sim.now() - start;
  // A slow repair fails the seed, not only a stuck one.
  Stall stall = longest_stall(trace, start, sim.now());
  StallBound bound = stall_bound(sc);
  out.longest_stall = stall.longest;
  out.stall_bound = bound.bound;
  if (stall.longest > bound.bound)
    fail(fmt::format(
        "no progress for {} ms from {} ms; the path allows {} ms ({} attempts lost in a row at "
        "{:.1f} % each, from an RTO of {} ms)",
        to_ms(stall.longest), to_ms(stall.from - start), to_ms(bound.bound), bound.attempts,
        bound.attempt_loss * 100, to_ms(bound.rto0)));

  // What each side read is what the other wrote.
  for (Endpoint* e : {&ce, &se}) {
    Endpoint& peer = e == &ce ? se : ce;
    for (auto& err : e->errors)
      fail(err);
    if (e->stream.valid() && e->stream.error() != SocketError::None)
      fail(fmt::format("{}: connection error {}", e->name, socket::to_string(e->stream.error())));
    std::size_t diff = first_difference(e->in, peer.out);
    if (diff != std::string::npos)
      fail(fmt::format("{} read {} bytes, {} wrote {}: first difference at offset {}", e->name,
                       e->in.size(), peer.name, peer.out.size(), diff));
    if (e->written != e->out.size())
      fail(fmt::format("{} wrote only {} of {} bytes", e->name, e->written, e->out.size()));
    bool wants_eof =
        e->role == Role::CloseSecond || e->role == Role::HalfCloser || e->role == Role::HalfPeer;
    if (wants_eof && !e->eof) fail(fmt::format("{} never saw EOF", e->name));
    bool coro = e->spec->api == Api::Coroutines;
    if (coro && !e->wait_closed) fail(fmt::format("{}: wait_closed() never returned", e->name));
  }

  for (Endpoint* e : {&ce, &se})
    if (e->stream.valid()) out.retransmits += e->stream.connection().stats().timeouts;
  // Let go of every handle; the stacks finish on their own.
  ce.stream = socket::TcpStream();
  se.stream = socket::TcpStream();
  listener.reset();
  ce.jobs.clear();
  se.jobs.clear();
  auto quiet = [&] {
    for (socket::Stack* h : {&client, &server}) {
      const tcp::TcpLayer& t = h->tcp();
      if (t.connection_count() != 0 || t.time_wait().size() != 0 || t.connection_pool().live != 0 ||
          t.request_pool().live != 0)
        return false;
    }
    return true;
  };
  sim.run_until(quiet, limit);
  out.total_time = sim.now() - start;
  for (socket::Stack* h : {&client, &server}) {
    const tcp::TcpLayer& t = h->tcp();
    if (t.connection_count() != 0 || t.time_wait().size() != 0)
      fail(fmt::format("{}: {} connections and {} TIME-WAIT left at the end", h->name(),
                       t.connection_count(), t.time_wait().size()));
    if (t.connection_pool().live != 0 || t.request_pool().live != 0 || t.time_wait_pool().live != 0)
      fail(fmt::format("{}: pools still live: {} connections, {} requests, {} TIME-WAIT", h->name(),
                       t.connection_pool().live, t.request_pool().live, t.time_wait_pool().live));
    if (h->open_handles() != 0)
      fail(fmt::format("{}: {} open handles", h->name(), h->open_handles()));
    out.segments += t.counters().segments_out;
    out.rejected_frames += h->interface().counters().malformed;
  }

  // The first closer waits in TIME-WAIT for 2*MSL; the other side does not.
  for (Endpoint* e : {&ce, &se}) {
    Endpoint& peer = e == &ce ? se : ce;
    auto changes = changes_of(trace, e->name, e->tuple);
    auto peer_changes = changes_of(trace, peer.name, peer.tuple);
    bool expect_tw =
        e->role == Role::CloseFirst || e->role == Role::HalfCloser || e->role == Role::Simultaneous;
    std::string path = path_string(changes);
    const tcp::TraceEvent* tw_in = nullptr;
    const tcp::TraceEvent* tw_out = nullptr;
    for (const auto* c : changes) {
      if (c->to == TcpState::TimeWait) tw_in = c;
      if (c->from == TcpState::TimeWait) tw_out = c;
    }
    if (changes.empty() || changes.back()->to != TcpState::Closed) {
      fail(fmt::format("{} did not end in CLOSED: {}", e->name, path));
      continue;
    }
    // An exact RST that ended this side (§3.10.7.4 second check), sent once
    // the peer's connection was gone: from CLOSED (RFC 9293 §3.10.7.1), or
    // from a new SYN-RECEIVED that an old duplicate SYN opened (§3.10.7.4
    // fifth check, an unacceptable ACK).
    const tcp::TraceEvent* last = changes.back();
    bool reset_by_closed_peer =
        last->text.find("RST") != std::string::npos &&
        std::any_of(peer_changes.begin(), peer_changes.end(), [&](const tcp::TraceEvent* c) {
          return c->to == TcpState::Closed && c->time <= last->time;
        });
    if (expect_tw && !tw_in) {
      // Both FINs crossed, but every copy of ours and of the peer's ACK was
      // lost until the peer's TIME-WAIT (2*MSL) ran out: its RST ends our
      // CLOSING. Legal, if rare: it takes a long run of losses.
      bool fin_outlived_peer = reset_by_closed_peer && last->from == TcpState::Closing;
      // Or every copy of the peer's FIN was lost for longer than the orphan
      // FIN-WAIT-2 timeout (Linux's tcp_fin_timeout) that our close() armed.
      const tcp::TcpConfig& cfg = (e == &ce ? sc.client : sc.server).tcp;
      bool orphan_timeout = false;
      if (last->from == TcpState::FinWait2 && changes.size() >= 2) {
        const tcp::TraceEvent* fw2_in = changes[changes.size() - 2];
        orphan_timeout = fw2_in->to == TcpState::FinWait2 &&
                         last->time - fw2_in->time >= cfg.fin_timeout && e->closed_called;
      }
      if (fin_outlived_peer) {
        out.closing_reset = true;
      } else if (orphan_timeout) {
        out.fin_wait2_timeout = true;
      } else {
        fail(fmt::format("{} closed first but skipped TIME-WAIT: {}", e->name, path));
      }
    }
    if (!expect_tw && tw_in)
      fail(fmt::format("{} closed second but went through TIME-WAIT: {}", e->name, path));
    if (!expect_tw && std::none_of(changes.begin(), changes.end(),
                                   [](const auto* c) { return c->to == TcpState::LastAck; }))
      fail(fmt::format("{} closed second but skipped LAST-ACK: {}", e->name, path));
    Duration two_msl = 2 * (e == &ce ? sc.client : sc.server).tcp.msl;
    if (tw_in) {
      if (const tcp::TraceEvent* s = unprompted_send(trace, tw_in, e->name, e->tuple))
        fail(fmt::format("{} sent a segment from TIME-WAIT at {} ms unprompted (seq={} ack={})",
                         e->name, to_ms(s->time - Instant{}), s->segment.seq, s->segment.ack));
    }
    if (tw_in && tw_out && tw_out->time - tw_in->time < two_msl) {
      // RFC 9293 §3.10.7.4 lets an exact RST end TIME-WAIT. The closed peer
      // sends one when a duplicate (its FIN, an old ACK) makes TIME-WAIT
      // answer with an ACK: the assassination hazard of RFC 1337. Allowed
      // only in that form.
      if (tw_out == last && reset_by_closed_peer) {
        out.time_wait_reset = true;
      } else {
        fail(fmt::format("{} left TIME-WAIT after {} ms (< 2*MSL): {}", e->name,
                         to_ms(tw_out->time - tw_in->time), tw_out->text));
      }
    }
  }
  return out;
}

}  // namespace synack::simtest
