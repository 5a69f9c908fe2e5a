// HTTP requests per second on one core for small keep-alive responses (the
// 255-byte /img/01.svg of the built-in page). Not a test: nothing is
// asserted.
//   synack/http1/sansio   Http1Connection alone: 100 pipelined requests per
//                         iteration, parsed (llhttp), answered, serialized
//   synack/h2/sansio      H2Session alone against an nghttp2 client in
//                         memory: 100 concurrent streams per iteration
//   synack/http1/stack    a synack client and HttpServer on two stacks joined
//                         in memory (WirePair): one request in flight at a
//                         time over one keep-alive connection, TCP included;
//                         p50/p99 are each request's wall-clock time
// Counter req_per_s is requests per CPU second.
#include <benchmark/benchmark.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "apps/http/builtin_site.hpp"
#include "apps/http/h2_session.hpp"
#include "apps/http/http1_connection.hpp"
#include "apps/http/http_server.hpp"
#include "apps/http/site_handler.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire_pair.hpp"

using namespace synack;
using namespace synack::apps::http;

namespace {

constexpr int kBatch = 100;
const std::string kRequest = "GET /img/01.svg HTTP/1.1\r\nHost: bench\r\n\r\n";

Handler site_handler() {
  static auto files = std::make_shared<MemorySource>(builtin_site());
  return make_site_handler(files);
}

void rate(benchmark::State& state, double requests) {
  state.counters["req_per_s"] = benchmark::Counter(requests, benchmark::Counter::kIsRate);
}

void BM_Http1Sansio(benchmark::State& state) {
  Http1Config cfg;
  cfg.max_requests = UINT64_MAX;
  Http1Connection c(site_handler(), cfg, Instant{});
  std::string batch;
  for (int i = 0; i < kBatch; ++i)
    batch += kRequest;
  std::size_t bytes = 0;
  for (auto _ : state) {
    c.receive(batch, Instant{});
    bytes += c.pending_output().size();
    c.consume_output(c.pending_output().size(), Instant{});
  }
  if (c.counters().requests != static_cast<std::uint64_t>(state.iterations()) * kBatch)
    state.SkipWithError("lost requests");
  rate(state, static_cast<double>(state.iterations()) * kBatch);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// A minimal nghttp2 client: counts finished streams.
struct H2Client {
  nghttp2_session* s = nullptr;
  std::uint64_t done = 0;
  H2Client() {
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cb, [](nghttp2_session*, std::int32_t, std::uint32_t, void* u) {
          ++static_cast<H2Client*>(u)->done;
          return 0;
        });
    nghttp2_session_client_new(&s, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry big_window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24};
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, &big_window, 1);
  }
  ~H2Client() { nghttp2_session_del(s); }
  void request() {
    static std::string m = ":method", get = "GET", p = ":path", path = "/img/01.svg",
                       sc = ":scheme", http = "http", a = ":authority", host = "bench";
    auto nv = [](std::string& n, std::string& v) {
      return nghttp2_nv{reinterpret_cast<std::uint8_t*>(n.data()),
                        reinterpret_cast<std::uint8_t*>(v.data()), n.size(), v.size(),
                        NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
    };
    nghttp2_nv h[] = {nv(m, get), nv(p, path), nv(sc, http), nv(a, host)};
    nghttp2_submit_request(s, nullptr, h, 4, nullptr, nullptr);
  }
  std::string output() {
    std::string out;
    const std::uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &d)) > 0)
      out.append(reinterpret_cast<const char*>(d), static_cast<std::size_t>(n));
    return out;
  }
  void input(std::string_view b) {
    nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  }
};

void BM_H2Sansio(benchmark::State& state) {
  Http2Config cfg;
  cfg.max_concurrent_streams = kBatch;
  cfg.max_requests = 0;  // no limit: one connection for the whole run
  H2Session server(site_handler(), cfg, Instant{}, false);
  H2Client client;
  for (auto _ : state) {
    std::uint64_t target = client.done + kBatch;
    for (int i = 0; i < kBatch; ++i)
      client.request();
    while (client.done < target) {
      std::string c = client.output();
      if (!c.empty()) server.receive(c, Instant{});
      std::string s(server.pending_output());
      server.consume_output(s.size(), Instant{});
      if (!s.empty()) client.input(s);
      if (c.empty() && s.empty()) {
        state.SkipWithError("stalled");
        return;
      }
    }
  }
  rate(state, static_cast<double>(state.iterations()) * kBatch);
}

void BM_Http1Stack(benchmark::State& state) {
  bench::WirePair net(256 << 10);
  HttpServerConfig cfg;
  cfg.http1.max_requests = UINT64_MAX;
  HttpServer http(net.server(), site_handler(), cfg);
  auto listener = net.server().listen(80);
  listener->on_acceptable([&] {
    while (auto s = listener->accept())
      http.adopt(std::move(*s));
  });
  auto client = net.client().connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  if (!client) {
    state.SkipWithError("connect failed");
    return;
  }
  client->set_nodelay(true);
  std::vector<double> latency_us;
  std::uint8_t buf[4096];
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    client->write(kRequest);
    std::size_t got = 0;
    // One response: the header section and a 255-byte body.
    std::string text;
    for (int rounds = 0; rounds < 100000; ++rounds) {
      while (std::size_t n = client->read(buf)) {
        got += n;
        text.append(reinterpret_cast<char*>(buf), n);
      }
      auto end = text.find("\r\n\r\n");
      if (end != std::string::npos && text.size() >= end + 4 + 255) break;
      if (!net.step()) break;
    }
    if (got == 0) {
      state.SkipWithError("no response");
      return;
    }
    latency_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  rate(state, static_cast<double>(state.iterations()));
  std::sort(latency_us.begin(), latency_us.end());
  if (!latency_us.empty()) {
    state.counters["p50_us"] = latency_us[latency_us.size() / 2];
    state.counters["p99_us"] = latency_us[latency_us.size() * 99 / 100];
  }
}

}  // namespace

BENCHMARK(BM_Http1Sansio)->Name("synack/http1/sansio");
BENCHMARK(BM_H2Sansio)->Name("synack/h2/sansio");
BENCHMARK(BM_Http1Stack)->Name("synack/http1/stack");

BENCHMARK_MAIN();
