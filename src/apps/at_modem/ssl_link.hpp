#pragma once
// AT+CIPSTART="SSL": TLS over a TCP link, with the HTTP app's sans-IO TLS
// client (OpenSSL over memory BIOs). The link is `Connecting` until the
// handshake is done (the module answers CONNECT, OK only then), reads give
// plaintext, and it takes ciphertext from the TCP link only while less than
// 5,760 bytes of plaintext wait, so passive mode's window holds for SSL
// links too (the plaintext waiting can exceed it by one TLS record, up to
// 16 KiB, since only whole records decrypt). No ALPN
// and no SNI are offered; the certificate is checked only with
// AT+CIPSSLCCONF's auth mode 2 (the system's CAs; an address given to
// AT+CIPSTART must be in the certificate).
#include <memory>
#include <string>

#include "apps/at_modem/link.hpp"

namespace synack::apps::http {
class TlsClientContext;
}

namespace synack::apps::at_modem {

// The two client contexts (certificate checked or not), made on first use
// and kept for the session tickets they hold.
class SslContexts {
 public:
  SslContexts();
  ~SslContexts();
  SslContexts(const SslContexts&) = delete;
  SslContexts& operator=(const SslContexts&) = delete;
  // nullptr, with `err`, when OpenSSL cannot make one.
  http::TlsClientContext* get(bool verify, std::string* err);

 private:
  std::unique_ptr<http::TlsClientContext> plain_, verified_;
};

// TLS on `tcp` (a TCP link, usually still connecting). The handshake fails
// after `handshake_timeout` without an answer.
std::unique_ptr<Link> make_ssl_link(std::unique_ptr<Link> tcp, http::TlsClientContext& ctx,
                                    const std::string& host,
                                    Duration handshake_timeout = std::chrono::seconds(10));

}  // namespace synack::apps::at_modem
