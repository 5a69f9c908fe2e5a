#pragma once
// The I/O side of the HTTP server: accepted TcpStreams each drive one
// ProtocolSession (TLS, then HTTP/1.x or HTTP/2), reading what arrived,
// writing what the session produced, firing its timers, and closing the way
// RFC 9112 §9.6 asks: half-close after the last response, read until the
// client closes (or a linger time passes), then close. Every connection's
// requests are counted, also after it ended.
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/http/http1_connection.hpp"
#include "apps/http/http_date.hpp"
#include "apps/http/http_message.hpp"
#include "apps/http/protocol_session.hpp"
#include "socket/stack.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::apps::http {

class TlsContext;

struct HttpServerConfig {
  Http1Config http1;
  // HTTPS when set: TLS first, then h2 or http/1.1 as ALPN chose.
  std::shared_ptr<TlsContext> tls;
  // After our FIN, how long the client may take to close its side.
  Duration linger = std::chrono::seconds(2);
  // Finished connections listed one by one in report(); older ones are
  // only counted, so a long run's memory stays bounded.
  std::size_t finished_listed = 10000;
  // The wall-clock time in seconds since 1970 for the Date field (RFC 9110
  // §6.6.1), read by the caller (the tool passes the system clock); unset,
  // responses carry no Date.
  std::function<std::int64_t()> wall_clock;
};

// One connection as the statistics see it.
struct ConnectionRecord {
  std::uint64_t id = 0;  // 1, 2, ... in accept order
  std::string peer;      // "10.80.0.1:43210"
  std::string protocol;  // "http/1.1", "http/1.0", "h2", "-" (none chosen)
  bool tls = false;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  bool reset = false;  // the peer stopped reading past the timeout: RST
  bool open = true;
};

class HttpServer {
 public:
  HttpServer(socket::Stack& stack, Handler handler, HttpServerConfig cfg);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void adopt(socket::TcpStream s);
  // Timers and reaping; call it often (every few ms).
  void tick();
  // Graceful stop: every connection closes now.
  void close_all();
  bool all_closed() const;

  // The listed finished connections first, then the open ones, in accept
  // order.
  std::vector<ConnectionRecord> connections() const;
  // "http: connections N (open K) requests M errors E; http/1.1 N1 h2 N2"
  // (every connection so far) and one line per listed connection.
  std::string report() const;

 private:
  struct Served;
  std::unique_ptr<ProtocolSession> make_session(Instant now);
  void update_date();
  void on_event(Served& c);
  void pump(Served& c);
  ConnectionRecord record(const Served& c) const;

  socket::Stack& stack_;
  Handler handler_;
  HttpServerConfig cfg_;
  std::list<Served> conns_;
  std::deque<ConnectionRecord> finished_;  // the last cfg_.finished_listed
  // Totals over the finished connections no longer listed.
  std::uint64_t dropped_connections_ = 0;
  std::uint64_t dropped_requests_ = 0;
  std::uint64_t dropped_errors_ = 0;
  std::map<std::string, std::uint64_t> dropped_by_protocol_;
  std::uint64_t next_id_ = 1;
  HttpDate date_;
};

}  // namespace synack::apps::http
