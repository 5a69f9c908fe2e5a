// The modem's SSL link (ssl_link.hpp) over a fake TCP link, against an
// OpenSSL server on memory BIOs with a self-signed certificate: the
// handshake, data both ways, the passive-mode bound, close_notify both
// ways, a failed handshake and a silent server.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "apps/at_modem/ssl_link.hpp"
#include "apps/http/tls_client.hpp"
#include "apps/http/tls_context.hpp"
#include "support/fake_links.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;
namespace http = synack::apps::http;

// The server end: ciphertext from the link's `written`, back into its
// `inbound`.
class TlsServerEnd {
 public:
  explicit TlsServerEnd(std::shared_ptr<FakeLinkState> tcp) : tcp_(std::move(tcp)) {
    std::string err;
    ctx_ = http::TlsContext::self_signed("10.91.0.1", &err);
    ssl_ = SSL_new(ctx_->native());
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_accept_state(ssl_);
  }
  ~TlsServerEnd() { SSL_free(ssl_); }
  // The server name the client sent (SNI), once the ClientHello arrived.
  std::string server_name() const {
    const char* n = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    return n ? n : "";
  }

  // Moves ciphertext both ways; returns the plaintext the client sent.
  std::string pump() {
    if (!tcp_->written.empty()) {
      BIO_write(rbio_, tcp_->written.data(), static_cast<int>(tcp_->written.size()));
      tcp_->written.clear();
      tcp_->window = 1 << 20;
    }
    std::string got;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0)
      got.append(buf, static_cast<std::size_t>(n));
    flush();
    return got;
  }
  void write(const std::string& data) {
    SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    flush();
  }
  void close_notify() {
    SSL_shutdown(ssl_);
    flush();
  }

 private:
  void flush() {
    char buf[16384];
    int n;
    while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0)
      tcp_->inbound.append(buf, static_cast<std::size_t>(n));
  }

  std::shared_ptr<FakeLinkState> tcp_;
  std::unique_ptr<http::TlsContext> ctx_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;
  BIO* wbio_ = nullptr;
};

class SslLinkTest : public ::testing::Test {
 protected:
  SslLinkTest() {
    tcp->status = LinkStatus::Connecting;
    tcp->remote = {*wire::Ipv4Address::parse("10.91.0.1"), 443};
    ctx = contexts.get(false, &err);
    link = make_ssl_link(std::make_unique<FakeLink>(tcp), *ctx, "10.91.0.1", 10s);
  }
  // Polls the link and moves the server's ciphertext until nothing changes.
  std::string run() {
    std::string got;
    for (int i = 0; i < 10; ++i) {
      link->poll(now);
      got += server.pump();
    }
    return got;
  }
  std::string read_all() {
    std::string out;
    std::uint8_t buf[1000];
    while (link->readable() > 0) {
      std::size_t n = link->read(buf);
      out.append(reinterpret_cast<char*>(buf), n);
      run();
    }
    return out;
  }

  std::string err;
  Instant now = instant_from_us(1'000'000);
  std::shared_ptr<FakeLinkState> tcp = std::make_shared<FakeLinkState>();
  SslContexts contexts;
  http::TlsClientContext* ctx = nullptr;
  std::unique_ptr<Link> link;
  TlsServerEnd server{tcp};
};

TEST_F(SslLinkTest, HandshakeThenDataBothWaysThenCloseNotify) {
  EXPECT_EQ(link->kind(), LinkKind::Ssl);
  EXPECT_EQ(link->status(), LinkStatus::Connecting);
  EXPECT_EQ(link->writable(), 0u);  // not before the handshake
  run();
  EXPECT_EQ(link->status(), LinkStatus::Connecting);  // TCP still connecting
  tcp->status = LinkStatus::Open;
  run();
  ASSERT_EQ(link->status(), LinkStatus::Open);
  EXPECT_EQ(link->remote().port, 443);
  std::string hello = "hello over TLS";
  EXPECT_EQ(
      link->write(std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size())),
      hello.size());
  EXPECT_EQ(run(), hello);
  // 40 KB from the server: taken only while less than 5,760 bytes of
  // plaintext wait (one 16 KiB record may take it past), all byte-exact.
  std::string big;
  for (int i = 0; i < 40000; ++i)
    big += static_cast<char>('a' + i % 26);
  server.write(big);
  run();
  EXPECT_LE(link->readable(), 5760u + 16384u);
  EXPECT_GT(tcp->inbound.size(), 0u);  // the rest waits on the TCP side
  EXPECT_EQ(read_all(), big);
  EXPECT_FALSE(link->at_eof());
  server.close_notify();
  run();
  EXPECT_TRUE(link->at_eof());
  link->close();  // close_notify back, then the TCP close
  EXPECT_TRUE(tcp->closed);
  EXPECT_FALSE(tcp->written.empty());
}

TEST_F(SslLinkTest, SniCarriesAHostNameButNeverAnAddress) {
  tcp->status = LinkStatus::Open;
  run();
  ASSERT_EQ(link->status(), LinkStatus::Open);
  EXPECT_EQ(server.server_name(), "");  // opened to "10.91.0.1" (RFC 6066 §3)

  auto tcp2 = std::make_shared<FakeLinkState>();
  tcp2->status = LinkStatus::Open;
  tcp2->remote = tcp->remote;
  TlsServerEnd server2{tcp2};
  auto named = make_ssl_link(std::make_unique<FakeLink>(tcp2), *ctx, "iot.example.test", 10s);
  for (int i = 0; i < 10; ++i) {
    named->poll(now);
    server2.pump();
  }
  EXPECT_EQ(named->status(), LinkStatus::Open);
  EXPECT_EQ(server2.server_name(), "iot.example.test");
}

TEST_F(SslLinkTest, NotTlsFailsTheLink) {
  tcp->status = LinkStatus::Open;
  link->poll(now);
  tcp->written.clear();
  tcp->inbound = "HTTP/1.1 400 Bad Request\r\n\r\n";
  link->poll(now);
  EXPECT_EQ(link->status(), LinkStatus::Failed);
  EXPECT_EQ(link->failure().rfind("TLS: ", 0), 0u) << link->failure();
}

TEST_F(SslLinkTest, SilentServerTimesOut) {
  tcp->status = LinkStatus::Open;
  link->poll(now);
  now += 9s;
  link->poll(now);
  EXPECT_EQ(link->status(), LinkStatus::Connecting);
  now += 1s;
  link->poll(now);
  EXPECT_EQ(link->status(), LinkStatus::Failed);
  EXPECT_EQ(link->failure(), "TLS handshake timed out");
}

TEST_F(SslLinkTest, PeerClosingDuringTheHandshakeFails) {
  tcp->status = LinkStatus::Open;
  link->poll(now);
  tcp->peer_fin = true;
  link->poll(now);
  EXPECT_EQ(link->status(), LinkStatus::Failed);
}

}  // namespace
}  // namespace synack::test
