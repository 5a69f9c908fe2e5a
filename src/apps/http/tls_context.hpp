#pragma once
// The server's TLS configuration (OpenSSL): certificate and key from PEM
// files or a self-signed certificate made at start, ALPN offering h2 and
// http/1.1 (RFC 7301; RFC 9113 §3.2 names "h2"), and session tickets so a
// returning client resumes without a full handshake (RFC 8446 §2.2).
#include <memory>
#include <string>

struct ssl_ctx_st;  // SSL_CTX

namespace synack::apps::http {

class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // nullptr and `err` set when the files cannot be read or do not match.
  static std::unique_ptr<TlsContext> from_files(const std::string& cert_pem,
                                                const std::string& key_pem, std::string* err);
  // A fresh P-256 key and a certificate for `name` (also a subjectAltName,
  // as an IP address when it parses as one), valid for 30 days.
  static std::unique_ptr<TlsContext> self_signed(const std::string& name, std::string* err);

  // SHA-256 of the certificate's DER, "AB:CD:...", as `openssl x509
  // -fingerprint -sha256` prints it.
  const std::string& fingerprint() const { return fingerprint_; }
  ssl_ctx_st* native() const { return ctx_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx);
  bool finish(std::string* err);

  ssl_ctx_st* ctx_;
  std::string fingerprint_;
};

}  // namespace synack::apps::http
