#pragma once
// A browser-style HTTP client pool on synack's public socket API: per host
// (scheme, address, port) at most `max_per_host` connections; a request goes
// to an idle connection when there is one, else to a new connection while
// under the limit, else waits in the host's queue (FIFO) until a connection
// is free. HTTP/1.1 keeps connections alive and sends one request at a time
// on each (no pipelining, as browsers do); HTTP/1.0 closes after every
// response, so each request has a connection of its own. Every request's
// timings are kept for a waterfall, with the pool's statistics.
//
// https goes through TlsClient, whose tickets let later connections to a
// host resume. HTTP/2 is used when the server picks "h2" by ALPN, or over
// plain http with prior knowledge when asked (h2c, RFC 9113 §3.3): then the
// host gets one connection and every request is a stream on it. While a
// connection that may turn out to be h2 is still handshaking, no second one
// is opened to that host. A connection that got GOAWAY takes no new request
// and closes once its streams are done; what the server did not process is
// sent again on a new connection.
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/http/fetch_url.hpp"
#include "apps/http/response_parser.hpp"
#include "apps/http/tls_client.hpp"
#include "core/time.hpp"
#include "socket/stack.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::apps::http {

// Auto: HTTP/1.1 over http; over https, h2 or http/1.1 as ALPN decides.
// Http11 offers only http/1.1; Http2 uses h2c prior knowledge over http.
enum class ClientProtocol { Auto, Http10, Http11, Http2 };

struct PoolConfig {
  std::size_t max_per_host = 6;  // Chromium's limit
  ClientProtocol protocol = ClientProtocol::Auto;
  bool verify_certificates = true;  // false: --insecure
  std::size_t max_body_bytes = 64 << 20;
  // A connection that makes no progress this long while it connects, does
  // its TLS handshake or waits for a response is given up, and its requests
  // fail with "timed out" (RFC 9112 §9.5 expects clients to have timeouts).
  Duration timeout = std::chrono::seconds(30);
};

// One request as the waterfall shows it. Times are kNever until they happen.
struct FetchRecord {
  std::uint64_t id = 0;  // 1, 2, ... in the order fetch() was called
  FetchUrl url;
  std::uint64_t connection = 0;  // the pool's connection number, 1, 2, ...
  bool reused = false;           // the connection had carried a request before
  Instant queued = kNever;       // fetch() was called
  Instant started = kNever;      // the request was given to a connection
  Instant connect_start = kNever, connected = kNever;  // a new connection's handshake
  Instant tls_done = kNever;  // its TLS handshake ended (it began at `connected`)
  bool tls_resumed = false;
  std::string protocol;  // "http/1.1", "http/1.0", "h2", "h2c"
  Instant sent = kNever, first_byte = kNever, end = kNever;
  int status = 0;         // 0: no response
  std::string error;      // why there is no response
  std::size_t bytes = 0;  // the content's length
  // Times it was sent again, and why the last attempt did not count: an
  // HTTP/2 stream the server refused or left above its GOAWAY (RFC 9113
  // §8.7, §6.8), or a reused HTTP/1.1 connection that closed before any
  // answer (RFC 9112 §9.3.1).
  int retries = 0;
  std::string retry_reason;
  Response response;
  // Extra request header fields (fetch()'s `headers`); a User-Agent here
  // replaces synack-fetch's.
  HeaderList request_headers;
  bool done() const { return end != kNever; }
};

struct PoolStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;         // requests that went on an existing connection
  std::uint64_t requests = 0;                   // completed, with a response or an error
  std::uint64_t retries = 0;                    // requests sent again (see FetchRecord)
  std::uint64_t timeouts = 0;                   // connections given up past the timeout
  std::uint64_t tls_full = 0, tls_resumed = 0;  // TLS handshakes
  std::size_t max_open_per_host = 0;            // the most connections open at once to one host
  Duration total_queue_wait{0};
  Duration max_queue_wait{0};
  // Requests carried by connection N (index N - 1).
  std::vector<std::uint64_t> requests_per_connection;
};

class ConnectionPool {
 public:
  using Done = std::function<void(const FetchRecord&)>;

  ConnectionPool(socket::Stack& stack, PoolConfig cfg);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Queues a GET for `url`; `done` runs once it completes (it may call
  // fetch()). `headers` are sent with the request (Authorization, a
  // User-Agent of the caller's). Returns the request's id.
  std::uint64_t fetch(const FetchUrl& url, Done done = {}, HeaderList headers = {});
  // Hands queued requests to connections, opens new ones, reaps closed ones,
  // and gives up connections past PoolConfig::timeout.
  // Call it often (every millisecond or so, and after each poll of the
  // stack). True when it gave a request to a connection or opened one.
  bool tick();
  // Nothing queued or in flight.
  bool idle() const;
  // Closes every connection (FIN).
  void close_all();
  bool all_closed() const;

  const std::deque<FetchRecord>& records() const { return records_; }
  const PoolStats& stats() const { return stats_; }
  // Connections open now to `url`'s host.
  std::size_t open_connections(const FetchUrl& url) const;

 private:
  struct Conn;
  struct Host {
    std::list<std::uint64_t> queue;  // request ids waiting
    std::size_t open = 0;
  };
  static std::string host_key(const FetchUrl& u);
  bool may_be_h2(const FetchUrl& u) const;
  void dispatch(Host& h, const std::string& key);
  void open_connection(Host& h, const std::string& key, std::uint64_t id);
  void assign(Conn& c, std::uint64_t id);
  void on_ready(Conn& c);
  void pump(Conn& c);
  void give_up(Conn& c, const std::string& why);
  void check_timeout(Conn& c);
  void shut(Conn& c);  // close_notify when TLS, then FIN
  void complete(std::uint64_t id, Response response, std::string error);
  // Puts a request that was not processed back in its host's queue, in id
  // order, unless it was retried `limit` times already (then it fails);
  // limit < 0: always, and not counted against a later limit.
  void requeue(std::uint64_t id, const std::string& why, int limit);
  void send_request(Conn& c);
  void send_plain(Conn& c, std::string_view bytes);
  void flush_wire(Conn& c);
  void receive_plain(Conn& c, std::string_view bytes);

  socket::Stack& stack_;
  PoolConfig cfg_;
  std::map<std::string, Host> hosts_;
  std::list<Conn> conns_;
  std::deque<FetchRecord> records_;  // deque: references stay valid as it grows
  std::deque<Done> done_;
  std::deque<int> strikes_;  // per request: retries counted against a limit
  PoolStats stats_;
  std::unique_ptr<TlsClientContext> tls_;
  std::uint64_t next_conn_ = 1;
  std::uint64_t assigned_ = 0;  // requests given to connections, ever
  bool in_tick_ = false;
};

}  // namespace synack::apps::http
