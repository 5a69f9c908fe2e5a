#pragma once
// A listening socket as the article draws it: a SynQueue of half-open
// RequestSocks (SYN-RECEIVED), an AcceptQueue of established connections
// waiting for accept(), the backlog limits, and SYN-ACK retransmission with
// growing waits until the entry's lifetime runs out. Under a SYN flood it
// answers with SYN cookies instead of queueing (RFC 4987 §3.6), and prunes
// old half-open entries first (RFC 4987 §3.4 "recycling the oldest").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "core/bounded_pool.hpp"
#include "core/ring_queue.hpp"
#include "core/time.hpp"
#include "tcp/connection.hpp"
#include "tcp/four_tuple.hpp"
#include "tcp/request_sock.hpp"
#include "tcp/syn_cookie.hpp"
#include "tcp/syn_queue.hpp"
#include "tcp/tcp_config.hpp"
#include "wire/ipv4_address_format.hpp"
#include "wire/tcp.hpp"

namespace synack::tcp {

class Listener;

// What a listener needs from the TCP layer that owns it.
class ListenerHost {
 public:
  virtual ~ListenerHost() = default;
  virtual void send_segment(const FourTuple& tuple, const wire::TcpRepr& seg) = 0;
  virtual SeqNum choose_isn(const FourTuple& tuple, Instant now) = 0;
  virtual std::uint32_t choose_ts_offset(const FourTuple& tuple) = 0;
  virtual std::uint16_t local_mss() const = 0;
  // Builds an ESTABLISHED connection and enters it in the flow table;
  // nullptr when the connection pool is exhausted.
  virtual Connection* create_connection(Instant now, const FourTuple& tuple, const TcpConfig& cfg,
                                        const HandshakeResult& h) = 0;
  // A half-open entry changed state (for the trace).
  virtual void on_request_state(Listener& l, const FourTuple& tuple, TcpState from, TcpState to,
                                std::string_view why) = 0;
  virtual void on_listener_note(Listener& l, std::string_view text) = 0;
  // Whether on_request_state() and on_listener_note() record anything.
  virtual bool tracing() const = 0;
  virtual void on_accept_ready(Listener& l) = 0;
  // The stack's buffer budget is under pressure (BufferPool): SYN-ACKs offer
  // a smaller window (handshake_window()).
  virtual bool buffers_under_pressure() const { return false; }
};

// Like Linux's nstat counters, per listener.
struct ListenerCounters {
  std::uint64_t syns_received = 0;
  std::uint64_t synacks_sent = 0;             // first SYN-ACK of each entry
  std::uint64_t synacks_retransmitted = 0;    // on timeout or duplicate SYN
  std::uint64_t half_open_expired = 0;        // retries exhausted (TcpExt.TCPTimeouts-like)
  std::uint64_t syn_queue_full_drops = 0;     // SYN dropped: SynQueue full
  std::uint64_t accept_queue_full_drops = 0;  // SYN dropped: AcceptQueue full (ListenDrops)
  std::uint64_t accept_queue_overflows = 0;   // final ACK dropped (ListenOverflows)
  // Final ACK dropped: no connection slot (TcpConfig::max_connections
  // reached, or no memory for the pool to grow).
  std::uint64_t pool_full_drops = 0;
  std::uint64_t resets_received = 0;  // half-open entries removed by RST
  std::uint64_t resets_sent = 0;
  std::uint64_t cookies_sent = 0;       // SYN-ACKs carrying a cookie (SyncookiesSent)
  std::uint64_t cookies_validated = 0;  // ACKs whose cookie checked out (SyncookiesRecv)
  std::uint64_t cookies_rejected = 0;   // ACKs with a bad or stale cookie (SyncookiesFailed)
  std::uint64_t established = 0;        // handshakes completed
  std::uint64_t accepted = 0;
};

class Listener {
 public:
  Listener(ListenerHost& host, const TcpConfig& cfg, wire::Ipv4Address addr, std::uint16_t port,
           BoundedPool<RequestSock>& pool);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // A segment for this listener's port that matched no connection.
  void on_segment(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg);
  void on_timer(Instant now);
  Instant next_deadline() const { return syn_queue_.next_deadline(); }
  // See Interface::clock_rewound(): the last overflow is forgotten.
  void clock_rewound() { last_overflow_.reset(); }

  // Takes the oldest established connection, or nullptr.
  Connection* accept();
  // Stops listening: half-open entries are dropped; connections never
  // accepted are reset (as Linux does on close of a listening socket).
  void shutdown(Instant now);

  wire::Ipv4Address address() const { return addr_; }
  std::uint16_t port() const { return port_; }
  const TcpConfig& config() const { return cfg_; }
  std::size_t syn_queue_size() const { return syn_queue_.size(); }
  std::size_t accept_queue_size() const { return accept_queue_.size(); }
  bool accept_queue_full() const { return accept_queue_.size() >= cfg_.backlog; }
  const ListenerCounters& counters() const { return counters_; }
  const SynQueue& syn_queue() const { return syn_queue_; }

  bool user_attached = false;  // owner bookkeeping

 private:
  void on_syn(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg);
  void on_request_segment(Instant now, RequestSock* req, const wire::TcpRepr& seg);
  void complete(Instant now, RequestSock* req, const wire::TcpRepr& seg);
  Duration synack_wait(int retransmits) const;
  int synack_retry_limit() const;
  // The SYN cookie path (listener_cookies.cpp).
  void send_cookie_synack(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg);
  bool cookie_check_enabled(Instant now) const;
  // true when seg carried a valid cookie (and was consumed).
  bool complete_from_cookie(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg);
  void enqueue_established(Instant now, Connection* c, const wire::TcpRepr& seg);
  void send_synack(Instant now, RequestSock& req);
  wire::TcpRepr synack_for(const FourTuple& tuple) const;
  void send_rst(const FourTuple& tuple, SeqNum seq);
  void send_ack(Instant now, const RequestSock& req);
  void drop_request(RequestSock* req, std::string_view why);
  // A line for the trace. The arguments are formatted only when a trace is
  // attached: a listener under a SYN flood must not allocate per SYN for
  // text nobody reads.
  template <typename... Args>
  void note(fmt::format_string<Args...> f, Args&&... args) {
    if (host_.tracing()) host_.on_listener_note(*this, fmt::format(f, std::forward<Args>(args)...));
  }

  ListenerHost& host_;
  TcpConfig cfg_;
  wire::Ipv4Address addr_;
  std::uint16_t port_;
  SynQueue syn_queue_;
  RingQueue<Connection*> accept_queue_;  // keeps its storage: no allocation per connection
  ListenerCounters counters_;
  SynCookie cookies_;
  // When the SynQueue last overflowed into cookies (Auto mode).
  std::optional<Instant> last_overflow_;
};

}  // namespace synack::tcp
