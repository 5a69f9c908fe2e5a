#include "serve_command.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "apps/ddns/ddns_updater.hpp"
#include "apps/http/http_server.hpp"
#include "apps/http/site_handler.hpp"
#include "cli_checks.hpp"
#include "serve_apps.hpp"
#include "serve_cores.hpp"
#include "socket/tcp_listener.hpp"
#include "tcp_info_format.hpp"

namespace synack::tools {

namespace {
volatile std::sig_atomic_t g_dump_requested = 0;
void on_sigusr1(int) {
  g_dump_requested = 1;
}
}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "serve", "listen on a TUN device and serve each connection with a small application");
  a.net.allow_dhcp = true;
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--port", a.port, "TCP port to listen on (1-65535)")->required();
  add_text_option(cmd, "--app", a.app,
                  "echo | discard | hold (listen, never accept) | noread (accept, never read)\n"
                  "| source:BYTES (accept, send BYTES, byte i = i mod 256, then close)\n"
                  "| drop:MS (accept, wait MS ms, close without reading)\n"
                  "| http[:DIR] (HTTP/1.1 and h2c, or with TLS h2 and http/1.1, serving DIR or\n"
                  "  without DIR a built-in page of 30 images; POST /echo echoes the body)")
      ->required();
  add_http_serve_options(cmd, a.http);
  add_text_option(
      cmd, "--ddns", a.ddns,
      "keep a dynamic DNS name at synack's address (at start and on every DHCP change):\n"
      "rfc2136:SERVER,ZONE,NAME,KEYFILE (a TSIG-signed UPDATE; KEYFILE as written by\n"
      "`tsig-keygen -a hmac-sha256`) or dyndns2:URL,NAME,USER:PASSWORD (or ...,NAME,@FILE\n"
      "with USER:PASSWORD on FILE's first line); one `ddns: ...` line per step on stdout.\n"
      "An https URL's certificate is checked against OpenSSL's trust store: set\n"
      "SSL_CERT_FILE=CA.pem to trust a private CA");
  add_text_option(cmd, "--dns", a.dns,
                  "the DNS server (IPv4) for a --ddns dyndns2 URL's host name; default: the\n"
                  "first one the lease names with --addr dhcp (DHCP option 6)");
  add_integer_option(
      cmd, "--cores", a.cores, 1, 64,
      "run N stacks (1-64), each on its own thread pinned to a CPU with its own queue of a\n"
      "multi-queue TUN, listener and app; the kernel keeps each connection on one queue.\n"
      "With N > 1: no --addr dhcp, --ddns, --tap, --pcap or --trace; --impair seeds core i\n"
      "with seed+i; SIGUSR1's table has a `core I cpu C` header per core, then a\n"
      "`core I device ...` line per queue and the summed `device ...` line (so has --stats)");
  cmd->footer(
      "Prints exactly one line `ready ADDR:PORT` on stdout once listening (with --addr dhcp\n"
      "once leased, after `dhcp: ...` lines); runs until SIGINT\n"
      "or SIGTERM, then closes its connections and exits 0. SIGUSR1 prints the connection\n"
      "table (like `ss -tan`) and a `device ...` line of TUN counters (see --stats) on\n"
      "stderr; with --app http also each HTTP connection's\n"
      "protocol and request count (`http: conn ...`), printed again at exit.");
  return cmd;
}

int run_serve_command(const ServeArgs& a) {
  auto port = parse_port(a.port);
  if (!port) {
    std::fprintf(stderr, "synack serve: error: bad --port '%s': expected 1 to 65535\n",
                 a.port.c_str());
    return 2;
  }
  auto spec = AppSpec::parse(a.app);
  if (!spec) {
    std::fprintf(stderr,
                 "synack serve: error: unknown --app '%s': expected echo, discard, hold, noread, "
                 "source:BYTES, drop:MS or http[:DIR]\n",
                 a.app.c_str());
    return 2;
  }
  // Every argument is checked before the device exists: the network ones,
  // then HTTP's (which loads or makes the TLS certificate).
  if (auto err = check_net_args(a.net)) {
    std::fprintf(stderr, "synack serve: error: %s\n", err->c_str());
    return 2;
  }
  if (auto err = check_cores_args(a.net, a.cores)) {
    std::fprintf(stderr, "synack serve: error: %s\n", err->c_str());
    return 2;
  }
  if (a.cores > 1 && !a.ddns.empty()) {
    std::fprintf(stderr, "synack serve: error: --ddns needs --cores 1\n");
    return 2;
  }
  HttpServeSetup http_setup;
  std::string cert_name = a.net.addr.substr(0, a.net.addr.find('/'));
  if (auto err = setup_http_serve(a.http, spec->kind == AppSpec::Kind::Http, spec->dir, cert_name,
                                  http_setup)) {
    std::fprintf(stderr, "synack serve: error: %s\n", err->c_str());
    return 2;
  }
  std::optional<wire::Ipv4Address> dns_server;
  if (!a.dns.empty()) {
    dns_server = wire::Ipv4Address::parse(a.dns);
    if (!dns_server || dns_server->is_unspecified()) {
      std::fprintf(stderr, "synack serve: error: bad --dns '%s': expected an IPv4 address\n",
                   a.dns.c_str());
      return 2;
    }
  }
  std::optional<apps::ddns::DdnsSpec> ddns_spec;
  if (!a.ddns.empty()) {
    std::string err;
    ddns_spec = apps::ddns::DdnsSpec::parse(a.ddns, &err);
    if (!ddns_spec) {
      std::fprintf(stderr, "synack serve: error: bad --ddns '%s': %s\n", a.ddns.c_str(),
                   err.c_str());
      return 2;
    }
  }
  if (a.cores > 1) return run_serve_cores(a, *spec, *port, http_setup);
  int code = 0;
  auto session = NetSession::open("serve", a.net, code);
  if (!session) return code;
  std::unique_ptr<apps::ddns::DdnsUpdater> ddns;
  if (ddns_spec) {
    std::string err;
    ddns = apps::ddns::DdnsUpdater::create(
        session->stack(), *ddns_spec,
        [](const std::string& line) {
          std::printf("%s\n", line.c_str());
          std::fflush(stdout);
        },
        &err);
    if (!ddns) {
      std::fprintf(stderr, "synack serve: error: --ddns: %s\n", err.c_str());
      return 1;
    }
    if (dns_server) ddns->set_dns_servers({*dns_server});
    if (session->dhcp()) {
      // The name follows the lease: set on a lease, cleared when it is lost.
      session->on_dhcp_event([&](const synack::dhcp::DhcpEvent&) {
        if (!dns_server) {
          const auto& lease = session->dhcp_agent()->lease();
          std::vector<wire::Ipv4Address> servers;
          if (lease)
            servers.assign(lease->dns_servers.view().begin(), lease->dns_servers.view().end());
          ddns->set_dns_servers(servers);
        }
        auto held = session->dhcp_agent()->address();
        ddns->set_address(held ? std::optional(held->address) : std::nullopt);
      });
    } else {
      ddns->set_address(session->address());
    }
  }

  auto listener = session->stack().listen(*port, session->tcp_config());
  if (!listener) {
    std::fprintf(stderr, "synack serve: error: cannot listen on port %u: %s\n", *port,
                 std::string(socket::to_string(listener.error())).c_str());
    return 1;
  }
  ServedConnections served(*spec);
  socket::Stack& stack = session->stack();
  std::unique_ptr<apps::http::HttpServer> http;
  if (spec->kind == AppSpec::Kind::Http) {
    http = std::make_unique<apps::http::HttpServer>(
        stack, apps::http::make_site_handler(http_setup.files), http_setup.config);
    if (http_setup.config.tls)
      std::fprintf(stderr, "synack serve: TLS certificate%s, SHA-256 fingerprint %s\n",
                   http_setup.self_signed ? (" (self-signed for " + cert_name + ")").c_str() : "",
                   http_setup.fingerprint.c_str());
  }
  if (spec->kind != AppSpec::Kind::Hold) {
    listener->on_acceptable([&] {
      while (auto s = listener->accept()) {
        if (http) {
          http->adopt(std::move(*s));
        } else {
          served.adopt(std::move(*s), stack.now());
        }
      }
    });
  }
  std::signal(SIGUSR1, on_sigusr1);
  // --trace: an `ss -ti`-like line per connection every second and at its end.
  if (session->tracing()) {
    served.on_finished = [&](const socket::TcpStream& st) {
      session->trace_connection(st.connection(), "closed");
    };
    session->loop().every(std::chrono::seconds(1), [&] {
      served.for_each([&](const socket::TcpStream& st) {
        if (!st.closed()) session->trace_connection(st.connection(), "now");
      });
    });
  }
  session->loop().every(std::chrono::milliseconds(10), [&] {
    served.tick(stack.now());
    if (http) http->tick();
    if (g_dump_requested) {
      g_dump_requested = 0;
      std::string dump = "LISTEN       " + session->address().to_string() + ":" +
                         std::to_string(*port) + " 0.0.0.0:*\n\t " +
                         format_listener(listener->listener()) + "\n" + session->connection_dump() +
                         session->device_stats() + "\n";
      if (http) dump += http->report();
      std::fputs(dump.c_str(), stderr);
      std::fflush(stderr);
    }
  });
  // --addr dhcp: the listener (on 0.0.0.0, so it follows the lease) is up;
  // `ready` waits for the first lease.
  if (session->wait_for_address()) {
    std::printf("ready %s:%u\n", session->address().to_string().c_str(), *port);
    std::fflush(stdout);
    session->loop().run_until([] { return false; });  // until SIGINT or SIGTERM
  }
  if (session->loop().device_failed()) {
    std::fprintf(stderr, "synack serve: error: the TUN device failed\n");
    return 1;
  }
  if (session->tracing())
    std::fprintf(stderr, "listener %s:%u %s\n", session->address().to_string().c_str(), *port,
                 format_listener(listener->listener()).c_str());
  // Graceful shutdown: stop accepting, close every connection, and give the
  // FINs a moment (bounded) to be acknowledged.
  listener->close();
  served.close_all();
  if (http) http->close_all();
  auto all_closed = [&] { return served.all_closed() && (!http || http->all_closed()); };
  auto deadline = session->loop().now() + std::chrono::seconds(2);
  session->loop().every(std::chrono::milliseconds(10), [&] {
    served.tick(stack.now());
    if (http) http->tick();
    if (all_closed() || session->loop().now() >= deadline) session->loop().stop();
  });
  if (!all_closed()) session->loop().run_for(std::chrono::seconds(2));
  // Nothing the stack queued may be lost at exit: the RSTs for connections
  // the listener never handed out, the last ACKs and FINs.
  session->loop().drain(std::chrono::seconds(1));
  if (http) {
    http->tick();
    std::fputs(http->report().c_str(), stderr);
  }
  return 0;
}

}  // namespace synack::tools
