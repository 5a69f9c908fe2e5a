#pragma once
// What the server drives on each connection, whatever the protocol: bytes
// and time in, bytes out (sans-IO). HTTP/1.x, HTTP/2, the preface sniffer
// and TLS all have this shape, so they stack: TLS wraps the session that
// ALPN chose.
#include <cstdint>
#include <string_view>

#include "core/time.hpp"

namespace synack::apps::http {

class ProtocolSession {
 public:
  virtual ~ProtocolSession() = default;
  // Bytes from the peer, in order.
  virtual void receive(std::string_view bytes, Instant now) = 0;
  // The peer sent FIN.
  virtual void receive_eof(Instant now) = 0;
  // Bytes to send; consume_output(n) once n of them are sent.
  virtual std::string_view pending_output() const = 0;
  virtual void consume_output(std::size_t n, Instant now) = 0;
  // When on_timer() must run (kNever: no timer).
  virtual Instant deadline() const = 0;
  virtual void on_timer(Instant now) = 0;
  // Nothing more will be sent or answered: half-close the connection.
  virtual bool finished() const = 0;
  // With finished(): the peer stopped reading and the unsent output is
  // dropped; reset the connection rather than wait to send it.
  virtual bool aborted() const { return false; }
  // Requests answered so far, and the protocol's name ("http/1.1", "h2").
  virtual std::uint64_t requests() const = 0;
  virtual std::string_view protocol() const = 0;
  // Requests refused as malformed, and timeouts (for the counters).
  virtual std::uint64_t errors() const { return 0; }
};

}  // namespace synack::apps::http
