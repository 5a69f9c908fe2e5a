#include "apps/http/connection_pool.hpp"

#include <algorithm>
#include <utility>

#include "apps/http/h2_client_session.hpp"

namespace synack::apps::http {

namespace {
// How often an HTTP/2 request the server refused is sent again, and an
// HTTP/1.1 one whose reused connection closed before any answer (once, as
// Chromium and curl do).
constexpr int kMaxH2Retries = 3;
constexpr int kMaxH1Retries = 1;
}  // namespace

struct ConnectionPool::Conn {
  std::uint64_t number = 0;
  std::string key;
  FetchUrl origin;
  socket::TcpStream s;
  std::unique_ptr<TlsClient> tls;
  std::unique_ptr<H2ClientSession> h2;  // set once the connection speaks HTTP/2
  std::unique_ptr<ResponseParser> parser;
  std::string out;            // bytes for the socket not yet written
  std::string in;             // HTTP/1 response bytes not yet parsed
  std::uint64_t current = 0;  // HTTP/1: the request in flight (0: idle)
  std::uint64_t first = 0;    // the request that opened it (until ready)
  std::uint64_t carried = 0;  // requests given to this connection
  bool connected = false;     // TCP handshake done
  bool ready = false;         // TLS done too, protocol known
  bool closed_by_us = false;  // no longer counted against the host's limit
  Instant progress;           // opened, or the last byte in or request out

  bool busy() const { return h2 ? h2->active() > 0 : current != 0; }
};

ConnectionPool::ConnectionPool(socket::Stack& stack, PoolConfig cfg) : stack_(stack), cfg_(cfg) {
  if (cfg_.max_per_host == 0) cfg_.max_per_host = 1;
}

ConnectionPool::~ConnectionPool() {
  for (Conn& c : conns_)
    c.s.on_event({});
}

std::string ConnectionPool::host_key(const FetchUrl& u) {
  // A named host is its name at its address: the same name at a new
  // address is another host.
  std::string key = u.scheme + "://" + u.authority();
  if (!u.name.empty()) key += "@" + u.host.to_string();
  return key;
}

bool ConnectionPool::may_be_h2(const FetchUrl& u) const {
  if (u.tls())
    return cfg_.protocol == ClientProtocol::Auto || cfg_.protocol == ClientProtocol::Http2;
  return cfg_.protocol == ClientProtocol::Http2;
}

std::uint64_t ConnectionPool::fetch(const FetchUrl& url, Done done, HeaderList headers) {
  FetchRecord r;
  r.id = records_.size() + 1;
  r.url = url;
  r.request_headers = std::move(headers);
  r.queued = stack_.now();
  records_.push_back(std::move(r));
  done_.push_back(std::move(done));
  strikes_.push_back(0);
  hosts_[host_key(url)].queue.push_back(records_.back().id);
  return records_.back().id;
}

bool ConnectionPool::tick() {
  if (in_tick_) return false;
  in_tick_ = true;
  std::uint64_t before = assigned_;
  for (Conn& c : conns_)
    check_timeout(c);
  for (auto& [key, h] : hosts_)
    dispatch(h, key);
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->closed_by_us && it->s.closed()) {
      it->s.on_event({});
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
  in_tick_ = false;
  return assigned_ != before;
}

void ConnectionPool::dispatch(Host& h, const std::string& key) {
  if (h.queue.empty()) return;
  bool handshaking = false;
  for (Conn& c : conns_) {
    if (c.key != key || c.closed_by_us) continue;
    if (!c.ready) handshaking = true;
    if (c.ready && c.h2 && c.h2->draining()) continue;  // GOAWAY: no new streams (§6.8)
    if (c.ready && c.h2) {                              // every request is a stream on it
      while (!h.queue.empty()) {
        std::uint64_t id = h.queue.front();
        h.queue.pop_front();
        assign(c, id);
      }
      flush_wire(c);
      return;
    }
    if (c.ready && !c.busy() && !h.queue.empty()) {
      std::uint64_t id = h.queue.front();
      h.queue.pop_front();
      assign(c, id);
    }
  }
  if (h.queue.empty()) return;
  // Until the first connection says whether it speaks h2, no second one.
  if (handshaking && may_be_h2(records_[h.queue.front() - 1].url)) return;
  while (!h.queue.empty() && h.open < cfg_.max_per_host) {
    std::uint64_t id = h.queue.front();
    h.queue.pop_front();
    open_connection(h, key, id);
    if (may_be_h2(records_[id - 1].url)) return;
  }
}

void ConnectionPool::open_connection(Host& h, const std::string& key, std::uint64_t id) {
  FetchRecord& rec = records_[id - 1];
  if (rec.url.tls() && !tls_) {
    std::string err;
    tls_ = TlsClientContext::make(
        cfg_.protocol == ClientProtocol::Auto || cfg_.protocol == ClientProtocol::Http2,
        cfg_.verify_certificates, &err);
    if (!tls_) {
      rec.started = stack_.now();
      complete(id, {}, "TLS: " + err);
      return;
    }
  }
  if (rec.url.host.is_unspecified()) {
    rec.started = stack_.now();
    complete(id, {}, "the host name " + rec.url.name + " was not resolved");
    return;
  }
  auto stream = stack_.connect(rec.url.host, rec.url.port);
  if (!stream) {
    rec.started = stack_.now();
    complete(id, {}, std::string(socket::to_string(stream.error())));
    return;
  }
  conns_.emplace_back();
  Conn& c = conns_.back();
  c.number = next_conn_++;
  c.key = key;
  c.origin = rec.url;
  c.s = std::move(*stream);
  c.s.set_nodelay(true);
  c.parser = std::make_unique<ResponseParser>(cfg_.max_body_bytes);
  c.progress = stack_.now();
  ++h.open;
  ++stats_.connections_opened;
  stats_.max_open_per_host = std::max(stats_.max_open_per_host, h.open);
  stats_.requests_per_connection.push_back(0);
  rec.connect_start = stack_.now();
  c.first = id;
  assign(c, id);
  Conn* cp = &c;
  c.s.on_event([this, cp] { pump(*cp); });
}

void ConnectionPool::assign(Conn& c, std::uint64_t id) {
  FetchRecord& rec = records_[id - 1];
  ++assigned_;
  rec.started = stack_.now();
  Duration wait = rec.started - rec.queued;
  stats_.total_queue_wait += wait;
  stats_.max_queue_wait = std::max(stats_.max_queue_wait, wait);
  rec.connection = c.number;
  rec.reused = c.carried > 0;
  if (rec.reused) ++stats_.connections_reused;
  ++c.carried;
  ++stats_.requests_per_connection[c.number - 1];
  if (!c.busy()) c.progress = stack_.now();  // the response clock starts
  if (c.h2) {
    rec.protocol = c.tls ? "h2" : "h2c";
    rec.sent = stack_.now();
    c.h2->submit(rec.url, id, rec.request_headers);
    return;
  }
  c.current = id;
  if (c.ready) send_request(c);
}

void ConnectionPool::on_ready(Conn& c) {
  c.ready = true;
  bool h2 = c.tls ? c.tls->alpn() == "h2" : cfg_.protocol == ClientProtocol::Http2;
  if (!h2) {
    if (c.current) send_request(c);
    return;
  }
  H2ClientSession::Events ev;
  ev.first_byte = [this](std::uint64_t id) {
    if (records_[id - 1].first_byte == kNever) records_[id - 1].first_byte = stack_.now();
  };
  ev.done = [this](std::uint64_t id, Response r, std::string err) {
    complete(id, std::move(r), std::move(err));
  };
  // A server that answers some streams and refuses others (GOAWAY after N
  // requests, a stream limit) is retried for as long as it makes progress.
  Conn* cp = &c;
  ev.retry = [this, cp](std::uint64_t id) {
    requeue(id, "refused by the HTTP/2 server",
            cp->h2 && cp->h2->made_progress() ? -1 : kMaxH2Retries);
  };
  c.h2 = std::make_unique<H2ClientSession>(std::move(ev));
  std::uint64_t id = std::exchange(c.current, 0);
  if (id) {
    FetchRecord& rec = records_[id - 1];
    rec.protocol = c.tls ? "h2" : "h2c";
    rec.sent = stack_.now();
    c.h2->submit(rec.url, id, rec.request_headers);
  }
  Host& h = hosts_[c.key];
  while (!h.queue.empty()) {
    std::uint64_t next = h.queue.front();
    h.queue.pop_front();
    assign(c, next);
  }
  send_plain(c, c.h2->take_output());
}

void ConnectionPool::send_request(Conn& c) {
  FetchRecord& rec = records_[c.current - 1];
  bool http10 = cfg_.protocol == ClientProtocol::Http10;
  rec.protocol = http10 ? "http/1.0" : "http/1.1";
  std::string req = "GET " + rec.url.target + (http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  req += "Host: " + rec.url.host_header() + "\r\n";
  if (!find_field(rec.request_headers, "User-Agent")) req += "User-Agent: synack-fetch\r\n";
  req += "Accept: */*\r\n";
  for (const auto& [name, value] : rec.request_headers)
    req += name + ": " + value + "\r\n";
  req += "\r\n";
  rec.sent = stack_.now();
  send_plain(c, req);
}

void ConnectionPool::send_plain(Conn& c, std::string_view bytes) {
  if (c.tls)
    c.tls->write(bytes);
  else
    c.out.append(bytes);
  flush_wire(c);
}

void ConnectionPool::flush_wire(Conn& c) {
  if (c.h2 && c.tls)
    c.tls->write(c.h2->take_output());
  else if (c.h2)
    c.out += c.h2->take_output();
  if (c.tls) c.out += c.tls->take_ciphertext();
  if (!c.out.empty() && c.connected) c.out.erase(0, c.s.write(c.out));
}

void ConnectionPool::complete(std::uint64_t id, Response response, std::string error) {
  FetchRecord& rec = records_[id - 1];
  rec.end = stack_.now();
  if (error.empty()) {
    rec.response = std::move(response);
    rec.status = rec.response.status;
    rec.bytes = rec.response.body.size();
  } else {
    rec.error = std::move(error);
  }
  ++stats_.requests;
  if (done_[id - 1]) done_[id - 1](rec);
}

void ConnectionPool::requeue(std::uint64_t id, const std::string& why, int limit) {
  FetchRecord& rec = records_[id - 1];
  if (limit >= 0) {
    if (strikes_[id - 1] >= limit) {
      complete(id, {}, why + " (retried " + std::to_string(rec.retries) + " times)");
      return;
    }
    ++strikes_[id - 1];
  }
  ++rec.retries;
  ++stats_.retries;
  rec.retry_reason = why;
  rec.connection = 0;
  rec.reused = false;
  rec.protocol.clear();
  rec.started = rec.connect_start = rec.connected = rec.tls_done = kNever;
  rec.sent = rec.first_byte = kNever;
  auto& q = hosts_[host_key(rec.url)].queue;
  q.insert(std::find_if(q.begin(), q.end(), [id](std::uint64_t o) { return o > id; }), id);
}

void ConnectionPool::check_timeout(Conn& c) {
  if (c.closed_by_us || (c.ready && !c.busy())) return;  // idle: nothing to wait for
  if (stack_.now() - c.progress < cfg_.timeout) return;
  ++stats_.timeouts;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.timeout).count();
  std::string phase = !c.connected ? "connect" : !c.ready ? "TLS handshake" : "response";
  give_up(c, phase + " timed out (nothing for " + std::to_string(ms) + " ms)");
}

void ConnectionPool::give_up(Conn& c, const std::string& why) {
  if (c.closed_by_us) return;
  c.closed_by_us = true;
  --hosts_[c.key].open;
  std::string reason = why.empty() ? "connection closed" : why;
  if (c.current) complete(std::exchange(c.current, 0), {}, reason);
  if (c.h2) c.h2->connection_lost(reason);
  shut(c);
}

void ConnectionPool::receive_plain(Conn& c, std::string_view bytes) {
  if (bytes.empty()) return;
  if (c.h2) {
    c.h2->receive(bytes);
    Host& h = hosts_[c.key];
    while (!h.queue.empty() && !c.h2->draining()) {  // requests made by the done callbacks
      std::uint64_t id = h.queue.front();
      h.queue.pop_front();
      assign(c, id);
    }
    flush_wire(c);
    if (c.h2->failed()) {
      give_up(c, "HTTP/2 connection failed");
    } else if (c.h2->draining() && c.h2->active() == 0) {
      give_up(c, "");  // after GOAWAY, once its last stream is done (§6.8)
    }
    return;
  }
  if (c.current && records_[c.current - 1].first_byte == kNever)
    records_[c.current - 1].first_byte = stack_.now();
  c.in.append(bytes);
  Host& h = hosts_[c.key];
  while (!c.in.empty()) {
    if (!c.current) {
      give_up(c, "");  // bytes nobody asked for
      return;
    }
    auto r = c.parser->parse(c.in, false);
    c.in.erase(0, r.consumed);
    if (r.status == ResponseParser::Status::Error) {
      give_up(c, "malformed response");
      return;
    }
    if (r.status == ResponseParser::Status::NeedMore) break;
    bool again = c.parser->keep_alive() && cfg_.protocol != ClientProtocol::Http10;
    complete(std::exchange(c.current, 0), c.parser->take(), "");
    if (!again) {
      give_up(c, "");
      return;
    }
    // Idle: the next request waiting for this host goes here at once.
    if (!h.queue.empty()) {
      std::uint64_t id = h.queue.front();
      h.queue.pop_front();
      assign(c, id);
      if (c.current && !c.in.empty() && records_[c.current - 1].first_byte == kNever)
        records_[c.current - 1].first_byte = stack_.now();
    }
  }
}

void ConnectionPool::pump(Conn& c) {
  if (c.closed_by_us) return;
  if (!c.connected) {
    if (c.s.connected()) {
      c.connected = true;
      if (c.first && records_[c.first - 1].connection == c.number)
        records_[c.first - 1].connected = stack_.now();
      if (c.origin.tls()) {
        c.tls = std::make_unique<TlsClient>(*tls_, c.origin.tls_name());
      } else {
        on_ready(c);
      }
    } else if (c.s.closed() || c.s.error() != socket::SocketError::None) {
      give_up(c, "connect: " + std::string(socket::to_string(c.s.error())));
      return;
    } else {
      return;
    }
  }
  flush_wire(c);
  std::uint8_t buf[16384];
  while (std::size_t n = c.s.read(buf)) {
    c.progress = stack_.now();
    std::string_view bytes(reinterpret_cast<const char*>(buf), n);
    if (!c.tls) {
      receive_plain(c, bytes);
    } else {
      c.tls->receive(bytes);
      if (c.tls->failed()) {
        give_up(c, "TLS: " + c.tls->error());
        return;
      }
      if (!c.ready && c.tls->handshake_done()) {
        if (c.first && records_[c.first - 1].connection == c.number) {
          records_[c.first - 1].tls_done = stack_.now();
          records_[c.first - 1].tls_resumed = c.tls->resumed();
        }
        ++(c.tls->resumed() ? stats_.tls_resumed : stats_.tls_full);
        on_ready(c);
      }
      receive_plain(c, c.tls->take_plaintext());
    }
    if (c.closed_by_us) return;
    flush_wire(c);
  }
  if (c.s.at_eof() || c.s.closed()) {
    if (c.current && !c.h2 && c.parser->finish() == ResponseParser::Status::Complete) {
      complete(std::exchange(c.current, 0), c.parser->take(), "");
      give_up(c, "");
    } else if (c.current && !c.h2 && records_[c.current - 1].reused &&
               records_[c.current - 1].first_byte == kNever) {
      // RFC 9112 §9.3.1: a kept-alive connection may close just as a request
      // goes out; a GET (idempotent, §9.2.2 of RFC 9110) that got no byte of
      // answer is sent once more.
      requeue(std::exchange(c.current, 0), "connection closed before the response", kMaxH1Retries);
      give_up(c, "");
    } else {
      give_up(c, c.s.error() != socket::SocketError::None
                     ? std::string(socket::to_string(c.s.error()))
                     : "connection closed before the response");
    }
  }
}

bool ConnectionPool::idle() const {
  for (const auto& [key, h] : hosts_)
    if (!h.queue.empty()) return false;
  for (const Conn& c : conns_)
    if (!c.closed_by_us && c.busy()) return false;
  return true;
}

void ConnectionPool::close_all() {
  for (Conn& c : conns_) {
    if (c.closed_by_us) continue;
    c.closed_by_us = true;
    --hosts_[c.key].open;
    shut(c);
  }
}

void ConnectionPool::shut(Conn& c) {
  if (c.tls) {
    c.tls->close();
    flush_wire(c);
  }
  c.s.close();
}

bool ConnectionPool::all_closed() const {
  return std::all_of(conns_.begin(), conns_.end(),
                     [](const Conn& c) { return c.closed_by_us && c.s.closed(); });
}

std::size_t ConnectionPool::open_connections(const FetchUrl& url) const {
  auto it = hosts_.find(host_key(url));
  return it == hosts_.end() ? 0 : it->second.open;
}

}  // namespace synack::apps::http
