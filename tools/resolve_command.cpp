#include "resolve_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>

#include "cli_checks.hpp"
#include "socket/dns_resolver.hpp"

namespace synack::tools {

CLI::App* add_resolve_command(CLI::App& app, ResolveArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "resolve", "look up names (A records) with synack's DNS stub resolver over a TUN device");
  cmd->add_option("names", a.names, "names to look up (a dotted quad is answered as is)")
      ->required();
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--dns", a.dns, "the DNS server's IPv4 address (e.g. 10.77.0.1)")
      ->required();
  add_text_option(cmd, "--dns-port", a.dns_port, "the DNS server's UDP port (default 53)");
  cmd->footer(
      "Prints one line per name, in the order given: `NAME A1 A2 ...` or `NAME error: REASON`\n"
      "(no such name (NXDOMAIN), no address for the name (NODATA), timed out, server failure\n"
      "(SERVFAIL), refused by the server (REFUSED), server unreachable (ICMP port unreachable),\n"
      "malformed answer, answer truncated (needs TCP), bad name). Each query is sent at 0, 1\n"
      "and 3 s and given up at 7 s. Exits 0 when every name resolved, else 1.");
  return cmd;
}

int run_resolve_command(const ResolveArgs& a) {
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack resolve: error: %s\n", msg.c_str());
    return 2;
  };
  auto server = wire::Ipv4Address::parse(a.dns);
  std::uint32_t v = server ? server->to_u32() : 0;
  if (!server || v == 0 || v == 0xffffffffu || (v >> 24) == 127 || (v >> 28) >= 0xe)
    return bad("bad --dns '" + a.dns + "': expected a unicast IPv4 address like 10.77.0.1");
  auto port = parse_port(a.dns_port);
  if (!port) return bad("bad --dns-port '" + a.dns_port + "': expected 1 to 65535");
  if (auto err = check_net_args(a.net)) return bad(*err);
  if (wire::Ipv4Cidr::parse(a.net.addr)->address == *server)
    return bad("--dns " + a.dns + " is synack's own --addr");
  for (const std::string& n : a.names)
    if (n.empty() || n.size() > 253 || n.find_first_of(" \t\r\n") != std::string::npos)
      return bad("bad name '" + n + "': expected 1 to 253 characters, no spaces");

  int code = 0;
  auto session = NetSession::open("resolve", a.net, code);
  if (!session) return code;
  dns::ResolverConfig cfg;
  // The query IDs must not be guessable (RFC 5452 §4.3): the real entropy
  // comes from here, the tool; the resolver itself reads none.
  std::random_device rd;
  cfg.id_seed = (std::uint64_t(rd()) << 32) | rd();
  auto resolver = socket::DnsResolver::open(session->stack(), *server, *port, cfg);
  if (!resolver) {
    std::fprintf(stderr, "synack resolve: error: %s\n",
                 std::string(socket::to_string(resolver.error())).c_str());
    return 1;
  }
  std::vector<std::optional<dns::ResolveResult>> results(a.names.size());
  std::size_t done = 0;
  for (std::size_t i = 0; i < a.names.size(); ++i) {
    (*resolver)->resolve_a(a.names[i], [&, i](const dns::ResolveResult& r) {
      results[i] = r;
      ++done;
    });
  }
  session->loop().run_until([&] { return done == results.size(); });
  session->loop().drain(std::chrono::milliseconds(100));
  if (session->loop().stop_signal()) {
    std::fprintf(stderr, "synack resolve: interrupted\n");
    return 1;
  }
  bool all_ok = true;
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::string line = a.names[i];
    const dns::ResolveResult& r = *results[i];
    if (r.ok()) {
      for (wire::Ipv4Address addr : r.addrs)
        line += " " + addr.to_string();
    } else {
      all_ok = false;
      line += " error: " + std::string(dns::to_string(r.error));
    }
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
  return all_ok ? 0 : 1;
}

}  // namespace synack::tools
