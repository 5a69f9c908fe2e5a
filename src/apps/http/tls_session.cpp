#include "apps/http/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace synack::apps::http {

namespace {
// Plaintext is encrypted while less than this much ciphertext waits.
constexpr std::size_t kMaxCiphertextBacklog = 1 << 20;
}  // namespace

TlsSession::TlsSession(const TlsContext& ctx, ProtocolSelector::Factory make, Instant now,
                       Duration handshake_timeout)
    : make_(std::move(make)), handshake_deadline_(now + handshake_timeout) {
  ssl_ = SSL_new(ctx.native());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !rbio_ || !wbio_) {
    failed_ = true;
    BIO_free(rbio_);
    BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    return;
  }
  // An empty memory BIO means "wait for more", not end of file.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);  // frees both BIOs
}

void TlsSession::receive(std::string_view bytes, Instant now) {
  if (failed_ || bytes.empty()) return;
  BIO_write(rbio_, bytes.data(), static_cast<int>(bytes.size()));
  advance(now);
}

void TlsSession::receive_eof(Instant now) {
  peer_eof_ = true;
  if (inner_) inner_->receive_eof(now);
  advance(now);
}

void TlsSession::consume_output(std::size_t n, Instant now) {
  out_pos_ += std::min(n, out_.size() - out_pos_);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  advance(now);
}

void TlsSession::collect_ciphertext() {
  char buf[16384];
  int n;
  while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0)
    out_.append(buf, static_cast<std::size_t>(n));
}

void TlsSession::advance(Instant now) {
  if (failed_) return;
  if (!inner_) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      collect_ciphertext();  // the next flight, or an alert
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        failed_ = true;  // garbage or a failed handshake: the alert goes out, then FIN
        ERR_clear_error();
      }
      if (peer_eof_) failed_ = true;
      return;
    }
    resumed_ = SSL_session_reused(ssl_) == 1;
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(ssl_, &alpn, &alpn_len);
    bool h2 = alpn_len == 2 && alpn[0] == 'h' && alpn[1] == '2';
    inner_ = make_(h2 ? HttpProtocol::Http2 : HttpProtocol::Http1, now);
    if (peer_eof_) inner_->receive_eof(now);
  }
  // Plaintext in: decrypt everything buffered.
  char buf[16384];
  while (true) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      inner_->receive(std::string_view(buf, static_cast<std::size_t>(n)), now);
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_ZERO_RETURN) {
      if (!peer_eof_) {
        peer_eof_ = true;  // close_notify: no more requests
        inner_->receive_eof(now);
      }
    } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      failed_ = true;  // a bad record: the connection is over
      ERR_clear_error();
    }
    break;
  }
  // Plaintext out: encrypt what the inner session produced.
  while (!failed_ && out_.size() - out_pos_ < kMaxCiphertextBacklog) {
    std::string_view plain = inner_->pending_output();
    if (plain.empty()) break;
    std::size_t chunk = std::min<std::size_t>(plain.size(), 16384);
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(chunk));
    if (n <= 0) {
      failed_ = true;
      ERR_clear_error();
      break;
    }
    inner_->consume_output(static_cast<std::size_t>(n), now);
    collect_ciphertext();
  }
  collect_ciphertext();  // session tickets and other post-handshake messages
  if (!failed_ && !close_notify_sent_ && inner_->finished()) {
    close_notify_sent_ = true;
    SSL_shutdown(ssl_);  // close_notify (RFC 8446 §6.1), then our FIN
    collect_ciphertext();
  }
}

Instant TlsSession::deadline() const {
  if (failed_) return kNever;
  if (!inner_) return handshake_deadline_;
  return inner_->deadline();
}

void TlsSession::on_timer(Instant now) {
  if (failed_) return;
  if (!inner_) {
    if (now >= handshake_deadline_) failed_ = true;
    return;
  }
  inner_->on_timer(now);
  advance(now);
}

bool TlsSession::finished() const {
  if (aborted()) return true;
  if (!pending_output().empty()) return false;
  return failed_ || close_notify_sent_;
}

}  // namespace synack::apps::http
