#pragma once
// Picks HTTP/1.x or HTTP/2 on a cleartext connection from its first bytes:
// a client with prior knowledge of HTTP/2 starts with the connection preface
// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.3, §3.4); anything else is
// HTTP/1.x. Until the choice is made the bytes are held; then the chosen
// session gets them all and this one passes everything through. An HTTP/1.1
// connection that answered `Upgrade: h2c` with 101 is swapped for an HTTP/2
// session here once the 101 is sent (RFC 7540 §3.2).
#include <functional>
#include <memory>
#include <string>

#include "apps/http/protocol_session.hpp"

namespace synack::apps::http {

enum class HttpProtocol { Http1, Http2 };

class ProtocolSelector final : public ProtocolSession {
 public:
  using Factory = std::function<std::unique_ptr<ProtocolSession>(HttpProtocol, Instant)>;
  ProtocolSelector(Factory make, Instant now, Duration timeout);

  void receive(std::string_view bytes, Instant now) override;
  void receive_eof(Instant now) override;
  std::string_view pending_output() const override;
  void consume_output(std::size_t n, Instant now) override;
  Instant deadline() const override;
  void on_timer(Instant now) override;
  bool finished() const override;
  bool aborted() const override { return inner_ && inner_->aborted(); }
  std::uint64_t requests() const override {
    return before_upgrade_ + (inner_ ? inner_->requests() : 0);
  }
  // A connection that sent nothing before the timeout (a browser's
  // preconnect) is not an error; a preface cut short is.
  std::uint64_t errors() const override {
    return inner_ ? inner_->errors() : (timed_out_ && !held_.empty());
  }
  std::string_view protocol() const override { return inner_ ? inner_->protocol() : "-"; }

 private:
  void choose(HttpProtocol p, Instant now);
  void maybe_upgrade(Instant now);

  Factory make_;
  std::unique_ptr<ProtocolSession> inner_;
  class Http1Connection* http1_ = nullptr;  // inner_, while it is HTTP/1.x
  std::uint64_t before_upgrade_ = 0;        // HTTP/1.1 requests before an h2c upgrade
  std::string held_;
  Instant deadline_;
  bool eof_ = false;
  bool timed_out_ = false;
};

// The HTTP/2 client connection preface (RFC 9113 §3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace synack::apps::http
