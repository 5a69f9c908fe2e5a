#pragma once
// TLS on the client side, sans-IO (OpenSSL over memory BIOs): ciphertext in
// through receive(), out through take_ciphertext(); plaintext out through
// write(), in through take_plaintext(). TlsClientContext offers ALPN (h2
// and/or http/1.1, RFC 7301), verifies the server's certificate against the
// system's CAs and its IP address unless told not to, and keeps the session
// tickets each host sends (RFC 8446 §4.6.1) so the next connection to that
// host resumes instead of doing a full handshake.
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct ssl_ctx_st;      // SSL_CTX
struct ssl_st;          // SSL
struct bio_st;          // BIO
struct ssl_session_st;  // SSL_SESSION

namespace synack::apps::http {

class TlsClientContext {
 public:
  // `offer_h2`: ALPN "h2" before "http/1.1"; `verify`: check the certificate.
  static std::unique_ptr<TlsClientContext> make(bool offer_h2, bool verify, std::string* err);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  ssl_ctx_st* native() const { return ctx_; }
  bool verify() const { return verify_; }
  // The newest ticket from `host` (nullptr: none yet), owned here.
  ssl_session_st* session_for(const std::string& host) const;
  void remember(const std::string& host, ssl_session_st* s);  // takes the reference

 private:
  TlsClientContext(ssl_ctx_st* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  ssl_ctx_st* ctx_;
  bool verify_;
  std::map<std::string, ssl_session_st*> sessions_;
};

class TlsClient {
 public:
  // `host`: the key tickets are kept under, and what the certificate must
  // name: a dotted-quad address (checked as such), or a host name, which is
  // also sent as SNI (RFC 6066 §3).
  TlsClient(TlsClientContext& ctx, std::string host);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  void receive(std::string_view ciphertext);
  void write(std::string_view plaintext);
  // Sends close_notify (after the handshake; once).
  void close();
  std::string take_ciphertext();
  std::string take_plaintext();

  bool handshake_done() const { return done_; }
  bool failed() const { return failed_; }
  bool resumed() const { return resumed_; }
  bool peer_closed() const { return peer_closed_; }
  const std::string& alpn() const { return alpn_; }  // "h2", "http/1.1" or ""
  const std::string& error() const { return error_; }

 private:
  void advance();
  void fail(std::string why);
  friend struct TlsClientCallbacks;

  TlsClientContext& ctx_;
  std::string host_;
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;
  bio_st* wbio_ = nullptr;
  std::string plain_out_;  // written before the handshake finished
  std::string plain_in_;
  std::string cipher_out_;
  std::string alpn_;
  std::string error_;
  bool done_ = false, failed_ = false, closed_ = false, resumed_ = false, peer_closed_ = false;
};

}  // namespace synack::apps::http
