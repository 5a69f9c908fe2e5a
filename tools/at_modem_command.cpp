#include "at_modem_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "apps/at_modem/modem.hpp"
#include "apps/at_modem/stack_resolver.hpp"
#include "apps/at_modem/tcp_links.hpp"
#include "cli_checks.hpp"
#include "serial_port.hpp"
#include "tcp/tcp_layer.hpp"

namespace synack::tools {

CLI::App* add_at_modem_command(CLI::App& app, AtModemArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "at-modem",
      "an ESP8266 AT-command modem (esp-at v2.2) on a pseudo-terminal, backed by synack on TUN");
  a.net.allow_dhcp = true;
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--dns", a.dns,
                  "the DNS server (an IPv4 address, port 53) that host names in AT+CIPSTART, "
                  "AT+CIPSTARTEX and AT+CIPDOMAIN resolve through (until AT+CIPDNS=1 sets "
                  "another; with --addr dhcp the lease's DNS server by default); without either "
                  "only dotted quads work and other names give "
                  "`DNS Fail`");
  CLI::Option* pty = add_text_option(cmd, "--pty", a.pty,
                                     "create a pseudo-terminal and make this path a symlink to it");
  CLI::Option* stdio = add_strict_flag(cmd, "--stdio", a.stdio,
                                       "talk AT commands on stdin and stdout instead of a pty");
  pty->excludes(stdio);
  stdio->excludes(pty);
  cmd->add_option("--wifi", a.wifi,
                  "a network AT+CWJAP can join, SSID:PASSWORD (8-64 bytes) or SSID (open); "
                  "repeatable. Default: one open network named synack")
      ->type_name("SSID:PASSWORD")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Validator(
          [](std::string& v) { return v.empty() ? std::string("empty value") : std::string(); }, "",
          "NOT EMPTY"));
  cmd->footer(
      "Exactly one of --pty LINK and --stdio. With --pty, prints `pty /dev/pts/N` then\n"
      "`ready` on stdout, each on its own line, once the TUN is up; with --stdio, `ready`\n"
      "goes to stderr. Runs until SIGINT or SIGTERM (or, with --stdio, the end of stdin),\n"
      "then closes every link with a FIN and exits 0. --trace also logs what the modem\n"
      "does (lines starting `at:`), such as why a command answered ERROR.\n"
      "Links: \"TCP\", \"UDP\" and \"SSL\". UDP: AT+CIPSTART=[<id>,]\"UDP\",host,port\n"
      "[,local port,mode], mode 0/1/2 as esp-at v2.2; +IPD carries one datagram;\n"
      "AT+CIPSEND=[<id>,]<len>,ip,port sends one datagram elsewhere. An ICMP port\n"
      "unreachable is not reported on a UDP link (the ESP8266's lwIP does not): SEND OK,\n"
      "and the link stays open. SSL: TLS (OpenSSL, TLS 1.2 or later) over a TCP link,\n"
      "CONNECT once the handshake is done; a host name is sent as SNI (an address never\n"
      "is), no ALPN; the certificate is checked\n"
      "against the system's CAs only after AT+CIPSSLCCONF=2 (a failed check: ERROR,\n"
      "CLOSED, the reason in --trace).\n"
      "--addr dhcp (with --tap): `ready` comes before the lease, the `dhcp: ...` lines on\n"
      "stdout; AT+CIFSR and AT+CIPSTA? report 0.0.0.0 until a lease, then the leased address,\n"
      "netmask and router, following every change.");
  return cmd;
}

int run_at_modem_command(const AtModemArgs& a) {
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack at-modem: error: %s\n", msg.c_str());
    return 2;
  };
  // Every argument is checked before anything is created.
  NetChecked checked;
  if (auto err = check_net_args(a.net, &checked)) return bad(*err);
  if (a.pty.empty() && !a.stdio) return bad("one of --pty LINK and --stdio is required");
  std::optional<wire::Ipv4Address> dns;
  if (!a.dns.empty()) {
    dns = wire::Ipv4Address::parse(a.dns);
    if (!dns || dns->to_u32() == 0 || (dns->to_u32() >> 28) >= 0xe)
      return bad("bad --dns '" + a.dns + "': expected a unicast IPv4 address like 10.77.0.1");
  }
  apps::at_modem::ModemConfig mc;
  mc.station = checked.addr;
  if (checked.host) mc.gateway = checked.host->address;
  mc.dns = dns;
  if (!a.wifi.empty()) {
    mc.networks.clear();
    for (const std::string& w : a.wifi) {
      std::string why;
      auto n = apps::at_modem::parse_wifi_spec(w, &why);
      if (!n) return bad("bad --wifi '" + w + "': " + why);
      for (const auto& other : mc.networks)
        if (other.ssid == n->ssid) return bad("--wifi names SSID '" + n->ssid + "' twice");
      mc.networks.push_back(*n);
    }
  }
  if (!a.pty.empty()) {
    if (auto err = check_pty_link(a.pty)) return bad("bad --pty: " + *err);
    for (const std::string* other : {&a.net.pcap, &a.net.trace})
      if (!other->empty() && *other != "-" && same_file(*other, a.pty))
        return bad("--pty and --pcap or --trace name the same file '" + a.pty + "'");
  }

  int code = 0;
  auto session = NetSession::open("at-modem", a.net, code);
  if (!session) return code;
  std::unique_ptr<SerialPort> serial;
  if (a.stdio) {
    serial = SerialPort::open_stdio();
  } else {
    std::string err;
    serial = SerialPort::open_pty(a.pty, err);
    if (!serial) {
      std::fprintf(stderr, "synack at-modem: error: %s\n", err.c_str());
      return 1;
    }
  }
  socket::Stack& stack = session->stack();
  runtime::EventLoop& loop = session->loop();
  apps::at_modem::TcpLinks links(stack, session->tcp_config());
  auto resolver = apps::at_modem::StackResolver::open(stack, dns);
  if (!resolver) {
    std::fprintf(stderr, "synack at-modem: error: cannot open a DNS socket: %s\n",
                 std::string(socket::to_string(resolver.error())).c_str());
    return 1;
  }
  apps::at_modem::Modem modem(mc, links, **resolver, stack.now());
  if (session->dhcp()) {
    // The station's address follows the lease.
    session->on_dhcp_event([&](const synack::dhcp::DhcpEvent&) {
      const auto& lease = session->dhcp_agent()->lease();
      if (lease)
        modem.set_station(lease->address, lease->router);
      else
        modem.set_station(wire::Ipv4Cidr{wire::Ipv4Address(), 32}, std::nullopt);
      // Without --dns the lease's DNS server answers look-ups, as the
      // module's own DHCP client would have it.
      if (!dns) {
        std::optional<wire::Ipv4Address> first;
        if (lease && !lease->dns_servers.empty()) first = lease->dns_servers.items[0];
        modem.set_default_dns(first);
      }
    });
  }

  bool input_ended = false;
  auto write_out = [&] {
    std::string_view out = modem.output();
    if (out.empty()) return;
    std::size_t n =
        serial->write(std::span(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()));
    modem.consume_output(n);
  };
  auto pump = [&]() -> bool {
    Instant now = stack.now();
    std::uint8_t buf[4096];
    while (!input_ended) {
      auto n = serial->read(buf);
      if (!n) {
        input_ended = true;
        if (a.stdio) loop.stop();  // the end of stdin ends the session
        break;
      }
      if (*n == 0) break;
      modem.receive(std::span(buf, *n), now);
    }
    modem.poll(now);
    write_out();
    for (const std::string& t : modem.take_trace())
      session->trace_line(t);
    return true;
  };
  loop.add_source(
      serial->read_fd(),
      [&] {
        Instant d = modem.next_deadline();
        // Output the other side has not taken yet: try again soon.
        if (!modem.output().empty()) d = earliest(d, stack.now() + std::chrono::milliseconds(5));
        return d;
      },
      pump);

  if (a.stdio) {
    std::fprintf(stderr, "ready\n");
  } else {
    std::printf("pty %s\nready\n", serial->path().c_str());
    std::fflush(stdout);
  }
  loop.run_until([] { return false; });  // until SIGINT or SIGTERM
  if (loop.device_failed()) {
    std::fprintf(stderr, "synack at-modem: error: the TUN device failed\n");
    return 1;
  }
  // A clean close: a FIN on every link; give the FINs (bounded) time to be
  // acknowledged.
  modem.close_all();
  write_out();
  auto closing = [&] {
    int n = 0;
    stack.tcp().for_each_connection([&](const tcp::Connection& c) {
      auto s = c.state();
      n +=
          s == tcp::TcpState::FinWait1 || s == tcp::TcpState::Closing || s == tcp::TcpState::LastAck
              ? 1
              : 0;
    });
    return n;
  };
  auto deadline = loop.now() + std::chrono::seconds(2);
  loop.every(std::chrono::milliseconds(10), [&] {
    if (closing() == 0 || loop.now() >= deadline) loop.stop();
  });
  loop.run_for(std::chrono::seconds(2));
  loop.drain(std::chrono::seconds(1));
  return 0;
}

}  // namespace synack::tools
