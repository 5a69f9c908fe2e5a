#pragma once
// TLS on the server side of one connection, sans-IO: OpenSSL reads and
// writes memory BIOs only (ciphertext in from receive(), out through
// pending_output()). After the handshake, ALPN's choice (RFC 7301) makes the
// inner session, h2 or http/1.1, and plaintext flows between the two.
#include <memory>
#include <string>

#include "apps/http/protocol_selector.hpp"
#include "apps/http/protocol_session.hpp"
#include "apps/http/tls_context.hpp"

struct ssl_st;  // SSL
struct bio_st;  // BIO

namespace synack::apps::http {

class TlsSession final : public ProtocolSession {
 public:
  // `handshake_timeout`: a handshake not done by then ends the connection.
  TlsSession(const TlsContext& ctx, ProtocolSelector::Factory make, Instant now,
             Duration handshake_timeout);
  ~TlsSession() override;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  void receive(std::string_view bytes, Instant now) override;
  void receive_eof(Instant now) override;
  std::string_view pending_output() const override {
    return std::string_view(out_).substr(out_pos_);
  }
  void consume_output(std::size_t n, Instant now) override;
  Instant deadline() const override;
  void on_timer(Instant now) override;
  bool finished() const override;
  bool aborted() const override { return inner_ && inner_->aborted(); }
  std::uint64_t requests() const override { return inner_ ? inner_->requests() : 0; }
  std::uint64_t errors() const override {
    return (inner_ ? inner_->errors() : 0) + (failed_ ? 1 : 0);
  }
  std::string_view protocol() const override { return inner_ ? inner_->protocol() : "-"; }

  bool handshake_done() const { return inner_ != nullptr; }
  bool resumed() const { return resumed_; }
  bool failed() const { return failed_; }

 private:
  void advance(Instant now);
  void collect_ciphertext();

  ProtocolSelector::Factory make_;
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // ciphertext from the peer (owned by ssl_)
  bio_st* wbio_ = nullptr;  // ciphertext to the peer (owned by ssl_)
  std::unique_ptr<ProtocolSession> inner_;
  std::string out_;
  std::size_t out_pos_ = 0;
  Instant handshake_deadline_;
  bool failed_ = false;
  bool resumed_ = false;
  bool peer_eof_ = false;
  bool close_notify_sent_ = false;
};

}  // namespace synack::apps::http
