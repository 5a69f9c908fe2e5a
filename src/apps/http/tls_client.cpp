#include "apps/http/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "wire/ipv4_address.hpp"

namespace synack::apps::http {

struct TlsClientCallbacks {
  // A ticket arrived (during or after the handshake): keep it for the host.
  static int on_new_session(SSL* ssl, SSL_SESSION* s) {
    auto* c = static_cast<TlsClient*>(SSL_get_app_data(ssl));
    if (!c) return 0;
    // A copy: OpenSSL marks the connection's own session not resumable when
    // the connection ends without close_notify.
    if (SSL_SESSION* copy = SSL_SESSION_dup(s)) c->ctx_.remember(c->host_, copy);
    return 0;  // the original stays OpenSSL's
  }
};

std::unique_ptr<TlsClientContext> TlsClientContext::make(bool offer_h2, bool verify,
                                                         std::string* err) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    if (err) *err = "SSL_CTX_new failed";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  static const unsigned char kBoth[] = "\x02h2\x08http/1.1";
  static const unsigned char kHttp1[] = "\x08http/1.1";
  if (offer_h2)
    SSL_CTX_set_alpn_protos(ctx, kBoth, sizeof kBoth - 1);
  else
    SSL_CTX_set_alpn_protos(ctx, kHttp1, sizeof kHttp1 - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, TlsClientCallbacks::on_new_session);
  if (verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_verify_paths(ctx);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(ctx, verify));
}

TlsClientContext::~TlsClientContext() {
  for (auto& [host, s] : sessions_)
    SSL_SESSION_free(s);
  SSL_CTX_free(ctx_);
}

ssl_session_st* TlsClientContext::session_for(const std::string& host) const {
  auto it = sessions_.find(host);
  return it == sessions_.end() ? nullptr : it->second;
}

void TlsClientContext::remember(const std::string& host, ssl_session_st* s) {
  auto& slot = sessions_[host];
  if (slot) SSL_SESSION_free(slot);
  slot = s;
}

TlsClient::TlsClient(TlsClientContext& ctx, std::string host) : ctx_(ctx), host_(std::move(host)) {
  ssl_ = SSL_new(ctx.native());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !rbio_ || !wbio_) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    fail("cannot create the TLS session");
    return;
  }
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_app_data(ssl_, this);
  SSL_set_connect_state(ssl_);
  if (wire::Ipv4Address::parse(host_)) {
    // RFC 6066 §3: no literal IP address in server_name; the certificate
    // must name the address instead.
    if (ctx.verify()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host_.c_str());
  } else {
    // A name: sent as SNI, so servers with many names pick the right
    // certificate, and checked against the certificate (RFC 6125).
    SSL_set_tlsext_host_name(ssl_, host_.c_str());
    if (ctx.verify()) SSL_set1_host(ssl_, host_.c_str());
  }
  if (SSL_SESSION* s = ctx.session_for(host_)) SSL_set_session(ssl_, s);
  advance();  // the ClientHello
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
}

void TlsClient::fail(std::string why) {
  if (failed_) return;
  failed_ = true;
  error_ = std::move(why);
  ERR_clear_error();
}

void TlsClient::receive(std::string_view ciphertext) {
  if (failed_ || ciphertext.empty()) return;
  BIO_write(rbio_, ciphertext.data(), static_cast<int>(ciphertext.size()));
  advance();
}

void TlsClient::write(std::string_view plaintext) {
  plain_out_.append(plaintext);
  advance();
}

void TlsClient::close() {
  if (!ssl_ || failed_ || !done_ || closed_) return;
  closed_ = true;
  SSL_shutdown(ssl_);  // close_notify (RFC 8446 §6.1)
  char buf[16384];
  int n;
  while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0)
    cipher_out_.append(buf, static_cast<std::size_t>(n));
  ERR_clear_error();
}

std::string TlsClient::take_ciphertext() {
  return std::exchange(cipher_out_, {});
}
std::string TlsClient::take_plaintext() {
  return std::exchange(plain_in_, {});
}

void TlsClient::advance() {
  auto collect = [&] {
    char buf[16384];
    int n;
    while (wbio_ && (n = BIO_read(wbio_, buf, sizeof buf)) > 0)
      cipher_out_.append(buf, static_cast<std::size_t>(n));
  };
  if (failed_) return;
  if (!done_) {
    int r = SSL_do_handshake(ssl_);
    collect();
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        long v = SSL_get_verify_result(ssl_);
        fail(v != X509_V_OK ? std::string("certificate: ") + X509_verify_cert_error_string(v) +
                                  " (--insecure skips the check)"
                            : "TLS handshake failed");
      }
      return;
    }
    done_ = true;
    resumed_ = SSL_session_reused(ssl_) == 1;
    const unsigned char* p = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_, &p, &len);
    alpn_.assign(reinterpret_cast<const char*>(p), len);
  }
  char buf[16384];
  while (true) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain_in_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_ZERO_RETURN)
      peer_closed_ = true;
    else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      fail("bad TLS record");
    break;
  }
  while (!failed_ && !plain_out_.empty()) {
    int n = SSL_write(ssl_, plain_out_.data(),
                      static_cast<int>(std::min<std::size_t>(plain_out_.size(), 16384)));
    if (n <= 0) {
      fail("TLS write failed");
      break;
    }
    plain_out_.erase(0, static_cast<std::size_t>(n));
  }
  collect();
}

}  // namespace synack::apps::http
