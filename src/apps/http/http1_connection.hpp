#pragma once
// One HTTP/1.x connection on the server side, sans-IO: bytes and the current
// time go in, response bytes come out. No socket, no clock: the caller feeds
// what it read, writes what pending_output() holds, and calls on_timer() at
// deadline(). Requests are answered one at a time, in order (RFC 9112 §9.3.2
// pipelining), and parsing pauses while too much output is unsent.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apps/http/http_date.hpp"
#include "apps/http/http_message.hpp"
#include "apps/http/protocol_session.hpp"
#include "apps/http/request_parser.hpp"
#include "core/time.hpp"

namespace synack::apps::http {

struct Http1Config {
  ParserLimits limits;
  // Requests answered on one connection; the last one says `Connection:
  // close` (nginx's keepalive_requests).
  std::uint64_t max_requests = 1000;
  // How long a connection may wait for a complete request: counted from the
  // last answer while idle (then closed silently, RFC 9112 §9.5), and from a
  // request's first byte while it trickles in (then 408, RFC 9110 §15.5.9).
  // Also how long sending may make no progress (a client that stopped
  // reading, like nginx's send_timeout): then the connection is reset.
  Duration idle_timeout = std::chrono::seconds(60);
  // Parsing stops while more than this many response bytes wait to be sent.
  std::size_t max_output_backlog = 1 << 20;
  const HttpDate* date = nullptr;  // the Date field's value (RFC 9110 §6.6.1)
  // Answer `Upgrade: h2c` with 101 and hand the connection to HTTP/2
  // (RFC 7540 §3.2; RFC 9113 §3.1 deprecates it but clients still send it).
  bool allow_h2c_upgrade = false;
};

struct Http1Counters {
  std::uint64_t requests = 0;  // requests answered (errors included)
  std::uint64_t errors = 0;    // 4xx/5xx answers to bad requests (not the handler's)
  std::uint64_t timeouts = 0;  // idle, request or send timeouts
  std::uint64_t stalls = 0;    // send timeouts (the connection is reset)
  int highest_minor = -1;      // 0 or 1 once a request arrived
};

class Http1Connection final : public ProtocolSession {
 public:
  Http1Connection(Handler handler, Http1Config cfg, Instant now);

  // Bytes from the peer, in order.
  void receive(std::string_view bytes, Instant now) override;
  // The peer sent FIN: no more requests come; those already here are answered.
  void receive_eof(Instant now) override;
  // Response bytes not yet sent; consume_output(n) once n of them are.
  std::string_view pending_output() const override {
    return std::string_view(out_).substr(out_pos_);
  }
  void consume_output(std::size_t n, Instant now) override;

  // When on_timer() needs to run; kNever when nothing waits.
  Instant deadline() const override;
  void on_timer(Instant now) override;

  // Nothing more will be answered: close once pending_output() is sent
  // (after `Connection: close`, an error, a timeout, the request limit, or
  // the peer's FIN).
  bool closing() const;
  // closing() and every byte sent: half-close now (RFC 9112 §9.6).
  bool finished() const override {
    return stalled_ || (closing() && pending_output().empty() && !body_);
  }
  bool aborted() const override { return stalled_; }
  const Http1Counters& counters() const { return counters_; }

  // After a 101 for `Upgrade: h2c` has been sent: the request to answer on
  // HTTP/2's stream 1, its HTTP2-Settings value, and the bytes that came
  // after it (the client's HTTP/2 preface, if it did not wait).
  bool upgrade_ready() const { return upgrade_.has_value() && pending_output().empty(); }
  struct Upgrade {
    Request request;
    std::string settings;  // base64url, as received
    std::string rest;
  };
  Upgrade take_upgrade();
  std::uint64_t requests() const override { return counters_.requests; }
  // A 408 is counted once, as a timeout.
  std::uint64_t errors() const override { return counters_.errors + counters_.timeouts; }
  std::string_view protocol() const override {
    return counters_.highest_minor == 0 ? "http/1.0" : "http/1.1";
  }

 private:
  void process(Instant now);
  void answer(const Request& req, Instant now);
  void answer_error(int status, Instant now, bool head = false);
  void fill_body();
  bool start_h2c_upgrade(const Request& req);

  Handler handler_;
  Http1Config cfg_;
  RequestParser parser_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
  std::size_t out_pos_ = 0;
  Instant last_activity_;
  Instant request_started_ = kNever;
  bool closing_ = false;            // no further request will be parsed
  std::optional<Upgrade> upgrade_;  // answered 101: parse nothing more
  bool peer_closed_ = false;
  bool stalled_ = false;  // sending made no progress for the timeout
  BodySourcePtr body_;    // a response's content still to be sent, in pieces
  std::uint64_t body_pos_ = 0;
  Http1Counters counters_;
};

}  // namespace synack::apps::http
