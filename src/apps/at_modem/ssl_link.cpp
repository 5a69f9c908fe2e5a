#include "apps/at_modem/ssl_link.hpp"

#include <openssl/ssl.h>

#include <algorithm>

#include "apps/http/tls_client.hpp"

namespace synack::apps::at_modem {

namespace {

// Ciphertext is taken from the TCP link only while less plaintext than the
// module's 5,760-byte window waits for the reader (whole TLS records
// decrypt, so one record may take it past).
constexpr std::size_t kPlainWindow = 5760;
// Plaintext write() takes while ciphertext still waits for the TCP link.
constexpr std::size_t kMaxBacklog = 16384;

class SslLink final : public Link {
 public:
  SslLink(std::unique_ptr<Link> tcp, http::TlsClientContext& ctx, const std::string& host,
          Duration timeout)
      : tcp_(std::move(tcp)), tls_(ctx, host), timeout_(timeout) {}

  LinkKind kind() const override { return LinkKind::Ssl; }
  LinkStatus status() const override {
    LinkStatus t = tcp_->status();
    if (t == LinkStatus::Failed || tls_.failed() || timed_out_) return LinkStatus::Failed;
    if (!tls_.handshake_done()) {
      // The TCP link connects, then the handshake runs; a peer that closes
      // before it ends fails the link.
      if (t == LinkStatus::Connecting) return t;
      return t == LinkStatus::Open && !tcp_->at_eof() ? LinkStatus::Connecting : LinkStatus::Failed;
    }
    return t;
  }
  std::string failure() const override {
    if (timed_out_) return "TLS handshake timed out";
    if (tls_.failed()) {
      std::string why = tls_.error();
      // The HTTP client's advice does not apply to the modem.
      if (auto at = why.find(" (--insecure"); at != std::string::npos) why.erase(at);
      return "TLS: " + why;
    }
    if (tcp_->status() == LinkStatus::Failed) return tcp_->failure();
    return "TLS: the peer closed during the handshake";
  }
  Endpoint remote() const override { return tcp_->remote(); }
  std::uint16_t local_port() const override { return tcp_->local_port(); }

  std::size_t readable() const override { return plain_.size(); }
  std::size_t read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min(out.size(), plain_.size());
    std::copy_n(plain_.begin(), n, out.begin());
    plain_.erase(0, n);
    pump_in();  // room again: take more ciphertext
    return n;
  }
  bool at_eof() const override { return plain_.empty() && (tls_.peer_closed() || tcp_->at_eof()); }
  std::size_t writable() const override {
    if (!tls_.handshake_done() || status() != LinkStatus::Open) return 0;
    return cipher_out_.size() < kMaxBacklog ? kMaxBacklog - cipher_out_.size() : 0;
  }
  std::size_t write(std::span<const std::uint8_t> data) override {
    std::size_t n = std::min(data.size(), writable());
    tls_.write(std::string_view(reinterpret_cast<const char*>(data.data()), n));
    pump_out();
    return n;
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    tls_.close();  // close_notify, then the TCP FIN
    pump_out();
    tcp_->close();
  }
  void abort() override {
    closed_ = true;
    tcp_->abort();
  }
  void poll(Instant now) override {
    if (closed_) return;
    // The handshake's clock starts once the TCP link is open.
    if (started_ == Instant{} && tcp_->status() == LinkStatus::Open) started_ = now;
    pump_in();
    pump_out();
    if (started_ != Instant{} && !tls_.handshake_done() && !tls_.failed() &&
        now - started_ >= timeout_)
      timed_out_ = true;
  }

 private:
  void pump_in() {
    while (!closed_ && plain_.size() < kPlainWindow && tcp_->readable() > 0) {
      std::string buf(std::min(tcp_->readable(), kPlainWindow - plain_.size()), '\0');
      std::size_t n =
          tcp_->read(std::span(reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()));
      if (n == 0) break;
      buf.resize(n);
      tls_.receive(buf);
      plain_ += tls_.take_plaintext();
    }
  }
  void pump_out() {
    cipher_out_ += tls_.take_ciphertext();
    if (cipher_out_.empty() || tcp_->writable() == 0) return;
    std::size_t n = tcp_->write(
        std::span(reinterpret_cast<const std::uint8_t*>(cipher_out_.data()), cipher_out_.size()));
    cipher_out_.erase(0, n);
  }

  std::unique_ptr<Link> tcp_;
  http::TlsClient tls_;
  Duration timeout_;
  Instant started_{};
  std::string plain_;       // decrypted, not yet read
  std::string cipher_out_;  // encrypted, not yet taken by the TCP link
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace

SslContexts::SslContexts() = default;
SslContexts::~SslContexts() = default;

http::TlsClientContext* SslContexts::get(bool verify, std::string* err) {
  auto& slot = verify ? verified_ : plain_;
  if (!slot) {
    slot = http::TlsClientContext::make(false, verify, err);
    // A raw TLS link offers no application protocol (no ALPN).
    if (slot) SSL_CTX_set_alpn_protos(slot->native(), nullptr, 0);
  }
  return slot.get();
}

std::unique_ptr<Link> make_ssl_link(std::unique_ptr<Link> tcp, http::TlsClientContext& ctx,
                                    const std::string& host, Duration handshake_timeout) {
  return std::make_unique<SslLink>(std::move(tcp), ctx, host, handshake_timeout);
}

}  // namespace synack::apps::at_modem
