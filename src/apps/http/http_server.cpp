#include "apps/http/http_server.hpp"

#include <fmt/format.h>

#include <map>

#include "apps/http/h2_session.hpp"
#include "apps/http/protocol_selector.hpp"
#include "apps/http/tls_session.hpp"

namespace synack::apps::http {

namespace {
// While this much output waits to be sent, nothing more is read: the TCP
// receive window then holds the client back.
constexpr std::size_t kReadPauseBytes = 1 << 20;
}  // namespace

struct HttpServer::Served {
  std::uint64_t id = 0;
  std::string peer;
  socket::TcpStream stream;
  std::unique_ptr<ProtocolSession> session;
  bool eof_delivered = false;
  bool fin_sent = false;  // shutdown() after the session finished
  bool closed = false;    // close() called
  bool more = false;      // pump() stopped while still making progress
  bool reset = false;     // aborted: the peer stopped reading
  Instant linger_until = kNever;
};

HttpServer::HttpServer(socket::Stack& stack, Handler handler, HttpServerConfig cfg)
    : stack_(stack), handler_(std::move(handler)), cfg_(std::move(cfg)) {}

HttpServer::~HttpServer() = default;

std::unique_ptr<ProtocolSession> HttpServer::make_session(Instant now) {
  auto factory = [this](HttpProtocol p, Instant t) -> std::unique_ptr<ProtocolSession> {
    if (p == HttpProtocol::Http1) {
      Http1Config h1 = cfg_.http1;
      h1.date = &date_;
      h1.allow_h2c_upgrade = !cfg_.tls;  // over TLS, ALPN chooses (RFC 9113 §3.2)
      return std::make_unique<Http1Connection>(handler_, h1, t);
    }
    // HTTP/2 takes HTTP/1.1's limits and idle timeout.
    Http2Config h2;
    h2.max_header_bytes = cfg_.http1.limits.max_header_bytes;
    h2.max_body_bytes = cfg_.http1.limits.max_body_bytes;
    h2.idle_timeout = cfg_.http1.idle_timeout;
    h2.max_requests = cfg_.http1.max_requests;
    h2.date = &date_;
    return std::make_unique<H2Session>(handler_, h2, t, cfg_.tls != nullptr);
  };
  if (cfg_.tls)
    return std::make_unique<TlsSession>(*cfg_.tls, factory, now, cfg_.http1.idle_timeout);
  return std::make_unique<ProtocolSelector>(factory, now, cfg_.http1.idle_timeout);
}

void HttpServer::update_date() {
  if (cfg_.wall_clock) date_.set(cfg_.wall_clock());
}

void HttpServer::adopt(socket::TcpStream s) {
  update_date();
  conns_.emplace_back();
  Served& c = conns_.back();
  c.id = next_id_++;
  const auto& t = s.tuple();
  c.peer = fmt::format("{}:{}", t.remote_addr.to_string(), t.remote_port);
  c.stream = std::move(s);
  c.stream.set_nodelay(true);  // responses are whole messages: no Nagle wait
  c.session = make_session(stack_.now());
  c.stream.on_event([this, &c] { on_event(c); });  // std::list: &c stays valid
  on_event(c);
}

void HttpServer::on_event(Served& c) {
  if (c.closed || c.stream.closed()) return;
  pump(c);
}

void HttpServer::pump(Served& c) {
  Instant now = stack_.now();
  update_date();
  ProtocolSession& s = *c.session;
  c.more = false;
  // Bounded, so one busy connection cannot hold the loop; tick() goes on
  // where this stopped.
  for (int round = 0; round < 64; ++round) {
    bool progress = false;
    // Write what the session has.
    while (!s.pending_output().empty()) {
      std::string_view out = s.pending_output();
      std::size_t n = c.stream.write(out);
      if (n == 0) break;
      s.consume_output(n, now);
      progress = true;
    }
    if (c.fin_sent) {
      // RFC 9112 §9.6: after our FIN, read and discard until the client
      // closes, so that its late bytes do not turn our close into a RST
      // that could destroy the response in flight.
      std::uint8_t sink[4096];
      while (c.stream.read(sink) > 0) {
      }
      if (c.stream.at_eof() && !c.closed) {
        c.closed = true;
        c.stream.close();
      }
      return;
    }
    // Read while the output backlog is small.
    if (s.pending_output().size() < kReadPauseBytes) {
      auto view = c.stream.read_view();
      if (!view.empty()) {
        std::string_view bytes(reinterpret_cast<const char*>(view.data()), view.size());
        std::size_t n = view.size();
        s.receive(bytes, now);
        c.stream.consume(n);
        progress = true;
      } else if (c.stream.at_eof() && !c.eof_delivered) {
        c.eof_delivered = true;
        s.receive_eof(now);
        progress = true;
      }
    }
    if (s.finished() && s.aborted()) {
      // The peer stopped reading for longer than the timeout: what waits for
      // it is dropped and the connection reset, so nothing stays held.
      c.reset = c.closed = true;
      c.stream.abort();
      return;
    }
    if (s.finished()) {
      c.fin_sent = true;
      c.stream.shutdown();  // FIN after the queued response
      c.linger_until = now + cfg_.linger;
      continue;  // drain reads once
    }
    if (!progress) return;
  }
  c.more = true;
}

void HttpServer::tick() {
  Instant now = stack_.now();
  for (auto it = conns_.begin(); it != conns_.end();) {
    Served& c = *it;
    if (!c.closed && !c.stream.closed()) {
      if (!c.fin_sent && now >= c.session->deadline()) {
        c.session->on_timer(now);
        pump(c);
      } else if (c.more) {
        pump(c);
      }
      if (c.fin_sent && !c.closed && now >= c.linger_until) {
        std::uint8_t sink[4096];
        while (c.stream.read(sink) > 0) {
        }
        c.closed = true;
        c.stream.close();
      }
    }
    bool gone = c.stream.closed() || (c.closed && c.stream.state() == tcp::TcpState::TimeWait);
    if (gone) {
      finished_.push_back(record(c));
      finished_.back().open = false;
      if (finished_.size() > cfg_.finished_listed) {
        const ConnectionRecord& old = finished_.front();
        ++dropped_connections_;
        dropped_requests_ += old.requests;
        dropped_errors_ += old.errors;
        ++dropped_by_protocol_[old.protocol];
        finished_.pop_front();
      }
      it = conns_.erase(it);  // the stack finishes the close in the background
    } else {
      ++it;
    }
  }
}

void HttpServer::close_all() {
  for (Served& c : conns_) {
    if (c.closed || c.stream.closed()) continue;
    std::uint8_t sink[4096];
    while (c.stream.read(sink) > 0) {
    }
    c.closed = true;
    c.stream.close();
  }
}

bool HttpServer::all_closed() const {
  for (const Served& c : conns_)
    if (!c.stream.closed()) return false;
  return true;
}

ConnectionRecord HttpServer::record(const Served& c) const {
  ConnectionRecord r;
  r.id = c.id;
  r.peer = c.peer;
  r.protocol = std::string(c.session->protocol());
  r.tls = cfg_.tls != nullptr;
  r.requests = c.session->requests();
  r.errors = c.session->errors();
  r.reset = c.reset;
  r.open = true;
  return r;
}

std::vector<ConnectionRecord> HttpServer::connections() const {
  std::vector<ConnectionRecord> all(finished_.begin(), finished_.end());
  for (const Served& c : conns_)
    all.push_back(record(c));
  return all;
}

std::string HttpServer::report() const {
  std::vector<ConnectionRecord> all = connections();
  std::uint64_t requests = dropped_requests_, errors = dropped_errors_, open = 0;
  std::map<std::string, std::uint64_t> by_protocol = dropped_by_protocol_;
  for (const ConnectionRecord& r : all) {
    requests += r.requests;
    errors += r.errors;
    open += r.open;
    ++by_protocol[r.protocol];
  }
  std::string out = fmt::format("http: connections {} (open {}) requests {} errors {};",
                                all.size() + dropped_connections_, open, requests, errors);
  for (const auto& [p, n] : by_protocol)
    out += fmt::format(" {} {}", p, n);
  out += "\n";
  if (dropped_connections_)
    out += fmt::format("http: ({} earlier connections counted above, not listed)\n",
                       dropped_connections_);
  for (const ConnectionRecord& r : all)
    out += fmt::format("http: conn {} {} {}{} requests {} errors {} {}\n", r.id, r.peer, r.protocol,
                       r.tls ? " tls" : "", r.requests, r.errors,
                       r.open    ? "open"
                       : r.reset ? "reset (stalled)"
                                 : "closed");
  return out;
}

}  // namespace synack::apps::http
