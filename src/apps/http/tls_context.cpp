#include "apps/http/tls_context.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace synack::apps::http {

namespace {

std::string ssl_error(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e ? fmt::format("{}: {}", what, buf) : std::string(what);
}

// RFC 9113 §9.2.2: over TLS 1.2, h2 needs an ephemeral key exchange and
// an AEAD cipher suite (the block list in Appendix A is every other one).
bool h2_cipher_ok(SSL* ssl) {
  if (SSL_version(ssl) >= TLS1_3_VERSION) return true;  // TLS 1.3 suites are all AEAD
  const SSL_CIPHER* c = SSL_get_pending_cipher(ssl);
  if (!c) return true;  // not known yet: nothing to hold against it
  int kx = SSL_CIPHER_get_kx_nid(c);
  return SSL_CIPHER_is_aead(c) && (kx == NID_kx_ecdhe || kx == NID_kx_dhe);
}

// Server preference: h2 first, then http/1.1 (RFC 7301 §3.2). A client
// offering neither gets no ALPN and speaks HTTP/1.1; one whose TLS 1.2
// cipher suite HTTP/2 forbids gets http/1.1.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kOurs[] = "\x02h2\x08http/1.1";
  static const unsigned char kHttp11[] = "\x08http/1.1";
  const unsigned char* ours = h2_cipher_ok(ssl) ? kOurs : kHttp11;
  unsigned int ours_len = ours == kOurs ? sizeof kOurs - 1 : sizeof kHttp11 - 1;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* new_server_ctx() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // RFC 9113 §9.2: TLS 1.2 or later
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  // Resumption by stateless tickets only (RFC 5077, RFC 8446 §4.6.1): the
  // ticket carries the session, so nothing is kept per client. The session
  // cache stays off, so a connection that ends without close_notify (as
  // browsers' often do) leaves no cached session to invalidate.
  // The id context is needed for a ticket to be accepted at all.
  static const unsigned char kSid[] = "synack-http";
  SSL_CTX_set_session_id_context(ctx, kSid, sizeof kSid - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace

TlsContext::TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

bool TlsContext::finish(std::string* err) {
  if (SSL_CTX_check_private_key(ctx_) != 1) {
    if (err) *err = ssl_error("the key does not match the certificate");
    return false;
  }
  X509* cert = SSL_CTX_get0_certificate(ctx_);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1) {
    if (err) *err = ssl_error("cannot hash the certificate");
    return false;
  }
  for (unsigned int i = 0; i < n; ++i)
    fingerprint_ += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  return true;
}

std::unique_ptr<TlsContext> TlsContext::from_files(const std::string& cert_pem,
                                                   const std::string& key_pem, std::string* err) {
  SSL_CTX* ctx = new_server_ctx();
  if (!ctx) {
    if (err) *err = ssl_error("SSL_CTX_new");
    return nullptr;
  }
  std::unique_ptr<TlsContext> t(new TlsContext(ctx));
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_pem.c_str()) != 1) {
    if (err) *err = ssl_error(("cannot load the certificate " + cert_pem).c_str());
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_pem.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (err) *err = ssl_error(("cannot load the key " + key_pem).c_str());
    return nullptr;
  }
  if (!t->finish(err)) return nullptr;
  return t;
}

std::unique_ptr<TlsContext> TlsContext::self_signed(const std::string& name, std::string* err) {
  auto fail = [&](const char* what) -> std::unique_ptr<TlsContext> {
    if (err) *err = ssl_error(what);
    return nullptr;
  };
  SSL_CTX* ctx = new_server_ctx();
  if (!ctx) return fail("SSL_CTX_new");
  std::unique_ptr<TlsContext> t(new TlsContext(ctx));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return fail("cannot generate a P-256 key");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return fail("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  in_addr ip{};
  std::string san = (inet_pton(AF_INET, name.c_str(), &ip) == 1 ? "IP:" : "DNS:") + name;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  if (!ext) return fail("cannot make the subjectAltName");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail("cannot sign");
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1) return fail("SSL_CTX_use_certificate");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) return fail("SSL_CTX_use_PrivateKey");
  if (!t->finish(err)) return nullptr;
  return t;
}

}  // namespace synack::apps::http
