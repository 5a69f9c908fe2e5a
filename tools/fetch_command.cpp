#include "fetch_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "apps/http/connection_pool.hpp"
#include "apps/http/html_links.hpp"
#include "cli_checks.hpp"
#include "fetch_waterfall.hpp"

namespace synack::tools {

using namespace apps::http;

CLI::App* add_fetch_command(CLI::App& app, FetchArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "fetch", "HTTP GETs through a TUN device the way a browser makes them; prints a waterfall");
  add_net_options(cmd, a.net);
  cmd->add_option("urls", a.urls, "http://IP[:PORT]/PATH ... (IPv4 literal hosts)")
      ->required()
      ->type_name("URL");
  add_integer_option(cmd, "--max-per-host", a.max_per_host, 1, 256,
                     "at most N connections to one host (scheme, address, port); default 6");
  auto* h10 = add_strict_flag(cmd, "--http1.0", a.http10,
                              "HTTP/1.0: one connection per request, closed after the response");
  auto* h11 = add_strict_flag(cmd, "--http1.1", a.http11,
                              "HTTP/1.1 only (ALPN offers only http/1.1 over https): keep-alive, "
                              "one request at a time per connection; the default over http");
  auto* h2 = add_strict_flag(cmd, "--http2", a.http2,
                             "HTTP/2: h2 by ALPN over https (also the default there), h2c with "
                             "prior knowledge over http; one connection per host, many streams");
  h10->excludes(h11)->excludes(h2);
  h11->excludes(h2);
  add_strict_flag(cmd, "--page", a.page,
                  "also fetch the resources an HTML response references (img, script, "
                  "stylesheet, ...)");
  add_strict_flag(cmd, "--insecure", a.insecure,
                  "https: do not verify the server's certificate (self-signed servers)");
  add_text_option(cmd, "--svg", a.svg, "draw the waterfall as an SVG picture in FILE");
  add_integer_option(cmd, "--timeout-ms", a.timeout_ms, 1, 86'400'000,
                     "give up a connection that makes no progress for N ms while it connects, "
                     "does its TLS handshake or waits for a response (default 30000); its "
                     "requests fail with 'timed out'");
  cmd->footer(
      "Prints one line per request: connection number, new or reused, start, TCP connect,\n"
      "TLS (F full, R resumed), time to first byte and end (ms), bytes, status and protocol;\n"
      "then the pool's statistics (connections opened, reuses, TLS handshakes full and\n"
      "resumed, requests per connection, queue wait).\n"
      "An HTTP/2 request the server refused (REFUSED_STREAM, or above a GOAWAY's last stream)\n"
      "and a GET whose reused HTTP/1.1 connection closed before any answer are sent again on\n"
      "a new connection, shown as 'retried' under their line.\n"
      "Exits 0 when every request got a 2xx or 3xx response, 1 otherwise (a timeout\n"
      "included: 'synack fetch: N requests timed out' on stderr), 2 on bad arguments.");
  return cmd;
}

int run_fetch_command(const FetchArgs& a) {
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack fetch: error: %s\n", msg.c_str());
    return 2;
  };
  std::vector<FetchUrl> urls;
  for (const std::string& text : a.urls) {
    std::string err;
    auto u = parse_fetch_url(text, &err);
    if (!u) return bad("bad URL '" + text + "': " + err);
    urls.push_back(*u);
  }
  if (auto err = check_net_args(a.net)) return bad(*err);
  auto own = wire::Ipv4Cidr::parse(a.net.addr)->address;
  for (const FetchUrl& u : urls)
    if (u.host == own) return bad("URL " + u.text() + " names synack's own --addr");
  if (!a.svg.empty()) {
    if (auto err = check_output_path(a.svg)) return bad("bad --svg: " + *err);
    for (const std::string* other : {&a.net.pcap, &a.net.trace})
      if (!other->empty() && *other != "-" && same_file(*other, a.svg))
        return bad("--svg and --pcap or --trace name the same file '" + a.svg + "'");
  }

  int code = 0;
  auto session = NetSession::open("fetch", a.net, code);
  if (!session) return code;
  PoolConfig cfg;
  cfg.max_per_host = a.max_per_host;
  cfg.protocol = a.http10   ? ClientProtocol::Http10
                 : a.http11 ? ClientProtocol::Http11
                 : a.http2  ? ClientProtocol::Http2
                            : ClientProtocol::Auto;
  cfg.verify_certificates = !a.insecure;
  cfg.timeout = std::chrono::milliseconds(a.timeout_ms);
  ConnectionPool pool(session->stack(), cfg);
  Instant t0 = session->stack().now();
  std::vector<std::string> seen;
  auto on_page = [&](const FetchRecord& r) {
    if (!a.page || r.status != 200) return;
    auto type =
        r.response.headers.empty() ? std::nullopt : find_field(r.response.headers, "Content-Type");
    if (!type || type->find("html") == std::string_view::npos) return;
    for (const std::string& link : html_resource_links(r.response.body)) {
      auto u = resolve_reference(r.url, link);
      if (!u) continue;
      std::string t = u->text();
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
      seen.push_back(t);
      pool.fetch(*u);
    }
  };
  for (const FetchUrl& u : urls) {
    seen.push_back(u.text());
    pool.fetch(u, on_page);
  }
  // Requests a response's callback made (--page) go out right after the poll
  // that delivered it, not at the next timer.
  session->loop().add_source(
      -1, [] { return kNever; }, [&] { return pool.tick(); });
  session->loop().every(std::chrono::milliseconds(1), [&] { pool.tick(); });
  pool.tick();
  session->loop().run_until([&] { return pool.idle(); });
  Instant t_end = session->stack().now();
  pool.close_all();
  session->loop().run_until([&] {
    pool.tick();
    return pool.all_closed() || session->stack().now() - t_end > std::chrono::seconds(2);
  });
  session->loop().drain(std::chrono::milliseconds(500));
  if (session->loop().stop_signal()) {
    std::fprintf(stderr, "synack fetch: interrupted\n");
    return 1;
  }
  std::fputs(format_waterfall(pool.records(), t0).c_str(), stdout);
  std::fputs(format_pool_summary(pool.stats(), pool.records(), t_end - t0).c_str(), stdout);
  std::fflush(stdout);
  if (!a.svg.empty()) {
    std::FILE* f = std::fopen(a.svg.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "synack fetch: error: cannot write --svg file %s\n", a.svg.c_str());
      return 1;
    }
    std::string svg = waterfall_svg(pool.records(), t0);
    std::fwrite(svg.data(), 1, svg.size(), f);
    std::fclose(f);
  }
  std::size_t timed_out = 0;
  for (const FetchRecord& r : pool.records())
    timed_out += r.error.find("timed out") != std::string::npos;
  if (timed_out)
    std::fprintf(stderr, "synack fetch: %zu request%s timed out (--timeout-ms %lld)\n", timed_out,
                 timed_out == 1 ? "" : "s", a.timeout_ms);
  for (const FetchRecord& r : pool.records())
    if (r.status < 200 || r.status >= 400) return 1;
  return 0;
}

}  // namespace synack::tools
