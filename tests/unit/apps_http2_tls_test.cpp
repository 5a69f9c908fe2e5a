// HTTP/2 and TLS sessions, sans-IO, against real client libraries in memory:
// an nghttp2 client session and an OpenSSL client on memory BIOs. Exact
// statuses and bodies, stream counts, ALPN, resumption, and bad input.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "apps/http/builtin_site.hpp"
#include "apps/http/h2_session.hpp"
#include "apps/http/http1_connection.hpp"
#include "apps/http/site_handler.hpp"
#include "apps/http/tls_context.hpp"
#include "apps/http/tls_session.hpp"
#include "unit/h2_test_client.hpp"

using namespace synack;
using namespace synack::apps::http;
using namespace synack::apps::http::test;
using namespace std::chrono_literals;

namespace {

const Instant T0 = instant_from_us(5'000'000);

std::shared_ptr<MemorySource> site() {
  static auto s = [] {
    auto m = std::make_shared<MemorySource>(builtin_site());
    std::string big;
    for (int i = 0; i < 300'000; ++i)
      big += static_cast<char>('a' + i % 26);
    m->add("/big.txt", big);  // larger than HTTP/2's initial 64 KiB window
    return m;
  }();
  return s;
}

Handler handler() {
  return make_site_handler(site());
}

// An OpenSSL client on memory BIOs.
struct TlsClient {
  SSL_CTX* ctx;
  SSL* ssl;
  BIO* rbio;
  BIO* wbio;
  // `own`: a context of the test's (the client takes a reference of its own).
  explicit TlsClient(const char* alpn, SSL_SESSION* resume = nullptr, SSL_CTX* own = nullptr) {
    // One client context for every connection, as a browser has.
    static SSL_CTX* shared = SSL_CTX_new(TLS_client_method());
    ctx = own ? own : shared;
    SSL_CTX_up_ref(ctx);
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(alpn),
                            static_cast<unsigned>(std::strlen(alpn)));
    ssl = SSL_new(ctx);
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);
    if (resume) SSL_set_session(ssl, resume);
  }
  ~TlsClient() {
    // OpenSSL marks a client's session not resumable when its connection is
    // freed without a shutdown; a quiet one keeps it, as clients do.
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string plain_in;   // decrypted from the server
  std::string plain_out;  // to encrypt
  std::string out() {
    SSL_do_handshake(ssl);
    if (SSL_is_init_finished(ssl) && !plain_out.empty()) {
      SSL_write(ssl, plain_out.data(), static_cast<int>(plain_out.size()));
      plain_out.clear();
    }
    std::string o;
    char buf[16384];
    int n;
    while ((n = BIO_read(wbio, buf, sizeof buf)) > 0)
      o.append(buf, static_cast<std::size_t>(n));
    return o;
  }
  void in(std::string_view b) {
    BIO_write(rbio, b.data(), static_cast<int>(b.size()));
    SSL_do_handshake(ssl);
    char buf[16384];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
      plain_in.append(buf, static_cast<std::size_t>(n));
  }
  std::string alpn() const {
    const unsigned char* p;
    unsigned int n;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
};

ProtocolSelector::Factory factory(bool tls) {
  return [tls](HttpProtocol p, Instant now) -> std::unique_ptr<ProtocolSession> {
    if (p == HttpProtocol::Http2)
      return std::make_unique<H2Session>(handler(), Http2Config{}, now, tls);
    return std::make_unique<Http1Connection>(handler(), Http1Config{}, now);
  };
}

const TlsContext& tls_ctx() {
  static auto ctx = TlsContext::self_signed("10.0.0.2", nullptr);
  return *ctx;
}

}  // namespace

TEST(H2Session, ManyStreamsOnOneConnection) {
  H2Session server(handler(), {}, T0, false);
  H2Client client;
  std::map<std::int32_t, int> which;
  for (int i = 1; i <= 30; ++i)
    which[client.get(fmt::format("/img/{:02}.svg", i))] = i;
  std::int32_t index = client.get("/");
  std::int32_t missing = client.get("/nope");
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(server.requests(), 32u);
  EXPECT_EQ(server.protocol(), "h2c");
  for (auto [id, i] : which) {
    EXPECT_EQ(client.results[id].status, 200);
    EXPECT_NE(client.results[id].body.find(fmt::format(">{}</text>", i)), std::string::npos);
    EXPECT_TRUE(client.results[id].closed);
  }
  EXPECT_EQ(client.results[index].status, 200);
  EXPECT_EQ(client.results[index].body, site()->load("/index.html")->content());
  EXPECT_EQ(client.results[missing].status, 404);
  EXPECT_EQ(server.open_streams(), 0u);
  EXPECT_FALSE(server.finished());
}

TEST(H2Session, FlowControlCarriesABodyBiggerThanTheWindow) {
  H2Session server(handler(), {}, T0, false);
  H2Client client;
  std::int32_t id = client.get("/big.txt");
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(client.results[id].status, 200);
  EXPECT_EQ(client.results[id].body, site()->load("/big.txt")->content());
}

TEST(H2Session, HeadHasNoBody) {
  H2Session server(handler(), {}, T0, false);
  H2Client client;
  std::int32_t id = client.get("/index.html", "HEAD");
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(client.results[id].status, 200);
  EXPECT_EQ(client.results[id].body, "");
  EXPECT_TRUE(client.results[id].closed);
}

TEST(H2Session, GarbageAfterThePrefaceIsGoawayAndClose) {
  H2Session server(handler(), {}, T0, false);
  server.receive(std::string(kHttp2Preface) + std::string(32, '\xff'), T0);
  std::string out(server.pending_output());
  server.consume_output(out.size(), T0);
  H2Client client;  // reads the server's frames
  client.output();
  client.input(out);
  EXPECT_TRUE(client.goaway);
  EXPECT_NE(client.goaway_error, 0u);
  EXPECT_EQ(server.errors(), 1u);
  EXPECT_TRUE(server.finished());
}

TEST(H2Session, IdleTimeoutSendsGoaway) {
  Http2Config cfg;
  cfg.idle_timeout = 3s;
  H2Session server(handler(), cfg, T0, false);
  H2Client client;
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(server.deadline(), T0 + 3s);
  server.on_timer(T0 + 3s);
  std::string out(server.pending_output());
  server.consume_output(out.size(), T0 + 3s);
  client.input(out);
  EXPECT_TRUE(client.goaway);
  EXPECT_EQ(client.goaway_error, 0u);  // NO_ERROR
  EXPECT_TRUE(server.finished());
}

TEST(ProtocolSelector, PrefaceChoosesHttp2OtherwiseHttp1) {
  ProtocolSelector h2(factory(false), T0, 10s);
  h2.receive(kHttp2Preface.substr(0, 5), T0);
  EXPECT_EQ(h2.protocol(), "-");
  h2.receive(kHttp2Preface.substr(5), T0);
  EXPECT_EQ(h2.protocol(), "h2c");
  ProtocolSelector h1(factory(false), T0, 10s);
  h1.receive("PRX", T0);
  EXPECT_EQ(h1.protocol(), "http/1.1");
}

TEST(ProtocolSelector, H2cUpgradeAnswersStreamOneOverHttp2) {
  // RFC 7540 §3.2: 101, then the server's SETTINGS and the response to the
  // upgrade request on stream 1; the client's preface follows.
  auto f = [](HttpProtocol p, Instant now) -> std::unique_ptr<ProtocolSession> {
    if (p == HttpProtocol::Http2)
      return std::make_unique<H2Session>(handler(), Http2Config{}, now, false);
    Http1Config c;
    c.allow_h2c_upgrade = true;
    return std::make_unique<Http1Connection>(handler(), c, now);
  };
  ProtocolSelector server(f, T0, 10s);
  server.receive(
      "GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
      T0);
  std::string out(server.pending_output());
  const std::string k101 =
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
  ASSERT_EQ(out, k101);
  server.consume_output(out.size(), T0);
  EXPECT_EQ(server.protocol(), "h2c");
  // An nghttp2 client that upgraded: stream 1 is its request.
  H2Client client;
  nghttp2_session_upgrade2(
      client.s, reinterpret_cast<const std::uint8_t*>("\0\3\0\0\0\x64\0\4\0\0\0\0\0\2\0\0\0\0"), 18,
      0, nullptr);
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(client.results[1].status, 200);
  EXPECT_EQ(client.results[1].body, site()->load("/style.css")->content());
  EXPECT_EQ(server.requests(), 1u);
}

TEST(TlsSession, AlpnH2ServesTheWholePage) {
  TlsSession server(tls_ctx(), factory(true), T0, 10s);
  TlsClient tls("\x02h2\x08http/1.1");
  H2Client h2;
  for (int i = 1; i <= 30; ++i)
    h2.get(fmt::format("/img/{:02}.svg", i));
  pump(
      server,
      [&] {
        if (SSL_is_init_finished(tls.ssl)) tls.plain_out += h2.output();
        return tls.out();
      },
      [&](std::string_view b) {
        tls.in(b);
        h2.input(tls.plain_in);
        tls.plain_in.clear();
      });
  EXPECT_EQ(tls.alpn(), "h2");
  EXPECT_EQ(server.protocol(), "h2");
  EXPECT_EQ(server.requests(), 30u);
  int ok = 0;
  for (auto& [id, r] : h2.results)
    ok += r.status == 200 && r.closed;
  EXPECT_EQ(ok, 30);
}

TEST(TlsSession, AlpnHttp11AndResumption) {
  SSL_SESSION* saved = nullptr;
  {
    TlsSession server(tls_ctx(), factory(true), T0, 10s);
    TlsClient tls("\x08http/1.1");
    tls.plain_out = "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n";
    pump(
        server, [&] { return tls.out(); }, [&](std::string_view b) { tls.in(b); });
    EXPECT_EQ(tls.alpn(), "http/1.1");
    EXPECT_EQ(server.protocol(), "http/1.1");
    EXPECT_EQ(tls.plain_in.substr(0, 15), "HTTP/1.1 200 OK");
    EXPECT_FALSE(server.resumed());
    // The ticket came after the handshake (TLS 1.3); the server's side ends
    // without close_notify, as a browser's connection often does.
    saved = SSL_get1_session(tls.ssl);
    ASSERT_NE(saved, nullptr);
    ASSERT_EQ(SSL_SESSION_is_resumable(saved), 1);
  }
  TlsSession server(tls_ctx(), factory(true), T0, 10s);
  TlsClient tls("\x08http/1.1", saved);
  tls.plain_out = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  pump(
      server, [&] { return tls.out(); }, [&](std::string_view b) { tls.in(b); });
  SSL_SESSION_free(saved);
  EXPECT_TRUE(server.resumed());
  EXPECT_EQ(SSL_session_reused(tls.ssl), 1);
  EXPECT_EQ(tls.plain_in.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_TRUE(server.finished());  // Connection: close, then close_notify
}

TEST(TlsSession, Tls12WithACipherHttp2ForbidsGetsHttp11) {
  // RFC 9113 §9.2.2 / Appendix A: ECDHE-ECDSA-AES128-SHA (CBC) is on the
  // block list, so ALPN picks http/1.1 although the client offers h2 first;
  // with an AEAD suite the same client gets h2.
  for (const char* suite : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-GCM-SHA256"}) {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(c, suite);
    TlsSession server(tls_ctx(), factory(true), T0, 10s);
    TlsClient tls("\x02h2\x08http/1.1", nullptr, c);
    SSL_CTX_free(c);
    pump(
        server, [&] { return tls.out(); }, [&](std::string_view b) { tls.in(b); });
    bool aead = std::string_view(suite).find("GCM") != std::string_view::npos;
    EXPECT_EQ(tls.alpn(), aead ? "h2" : "http/1.1") << suite;
    EXPECT_EQ(server.protocol(), aead ? "h2" : "http/1.1") << suite;
  }
}

TEST(TlsSession, GarbageHandshakeFailsWithAnAlert) {
  TlsSession server(tls_ctx(), factory(true), T0, 10s);
  using namespace std::string_view_literals;
  server.receive("\x16\x03\x01\x00\x05garbage garbage garbage"sv, T0);
  EXPECT_TRUE(server.failed());
  std::string out(server.pending_output());
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0], '\x15');  // an alert record
  server.consume_output(out.size(), T0);
  EXPECT_TRUE(server.finished());
  EXPECT_EQ(server.errors(), 1u);
}

TEST(TlsSession, HandshakeTimeout) {
  TlsSession server(tls_ctx(), factory(true), T0, 2s);
  EXPECT_EQ(server.deadline(), T0 + 2s);
  server.on_timer(T0 + 2s);
  EXPECT_TRUE(server.finished());
}

TEST(TlsContext, FingerprintIsSha256OfTheCertificate) {
  EXPECT_EQ(tls_ctx().fingerprint().size(), 32u * 3 - 1);
  std::string err;
  EXPECT_EQ(TlsContext::from_files("/nonexistent.pem", "/nonexistent.pem", &err), nullptr);
  EXPECT_NE(err.find("cannot load the certificate"), std::string::npos);
}

TEST(H2Session, LimitsAnswer431And413) {
  Http2Config cfg;
  cfg.max_header_bytes = 300;
  cfg.max_body_bytes = 10;
  H2Session server(handler(), cfg, T0, false);
  H2Client client;
  // A header block over the limit.
  std::string n = "x-big", v(400, 'a'), m = ":method", get = "GET", p = ":path", path = "/",
              sc = ":scheme", http = "http", a = ":authority", host = "x";
  auto nv = [](std::string& name, std::string& value) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(name.data()),
                      reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE};
  };
  nghttp2_nv big[] = {nv(m, get), nv(p, path), nv(sc, http), nv(a, host), nv(n, v)};
  std::int32_t id431 = nghttp2_submit_request(client.s, nullptr, big, 5, nullptr, nullptr);
  // A body over the limit.
  static std::string body(100, 'b');
  static std::size_t sent = 0;
  nghttp2_data_provider prd{};
  prd.read_callback = [](nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len,
                         std::uint32_t* flags, nghttp2_data_source*, void*) -> ssize_t {
    std::size_t k = std::min(len, body.size() - sent);
    std::memcpy(buf, body.data() + sent, k);
    sent += k;
    if (sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(k);
  };
  std::string post = "POST", echo = "/echo";
  nghttp2_nv hp[] = {nv(m, post), nv(p, echo), nv(sc, http), nv(a, host)};
  std::int32_t id413 = nghttp2_submit_request(client.s, nullptr, hp, 4, &prd, nullptr);
  std::int32_t ok = client.get("/style.css");
  pump(
      server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); });
  EXPECT_EQ(client.results[id431].status, 431);
  EXPECT_EQ(client.results[id413].status, 413);
  EXPECT_EQ(client.results[ok].status, 200);  // the connection goes on
  EXPECT_EQ(server.errors(), 2u);
  EXPECT_EQ(server.requests(), 3u);
}

TEST(TlsSession, LargeBodyOverHttp11AndH2) {
  const std::string big = site()->load("/big.txt")->content();
  {
    TlsSession server(tls_ctx(), factory(true), T0, 10s);
    TlsClient tls("\x08http/1.1");
    tls.plain_out = "GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    pump(
        server, [&] { return tls.out(); }, [&](std::string_view b) { tls.in(b); });
    ASSERT_GT(tls.plain_in.size(), big.size());
    EXPECT_EQ(tls.plain_in.substr(tls.plain_in.size() - big.size()), big);
  }
  TlsSession server(tls_ctx(), factory(true), T0, 10s);
  TlsClient tls("\x02h2");
  H2Client h2;
  std::int32_t id = h2.get("/big.txt");
  pump(
      server,
      [&] {
        if (SSL_is_init_finished(tls.ssl)) tls.plain_out += h2.output();
        return tls.out();
      },
      [&](std::string_view b) {
        tls.in(b);
        h2.input(tls.plain_in);
        tls.plain_in.clear();
      });
  EXPECT_EQ(h2.results[id].body, big);
}
