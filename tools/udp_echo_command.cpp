#include "udp_echo_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_checks.hpp"
#include "socket/udp_socket.hpp"

namespace synack::tools {

CLI::App* add_udp_echo_command(CLI::App& app, UdpEchoArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "udp-echo", "answer every UDP datagram on a port with the same bytes (RFC 862)");
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--port", a.port, "UDP port to echo on (1-65535)")->required();
  cmd->footer(
      "Prints exactly one line `ready ADDR:PORT` on stdout once bound; runs until SIGINT or\n"
      "SIGTERM, then prints `udp-echo: N datagrams echoed, M dropped` on stderr and exits 0.\n"
      "Datagrams to other ports are answered with ICMP port unreachable.");
  return cmd;
}

int run_udp_echo_command(const UdpEchoArgs& a) {
  auto port = parse_port(a.port);
  if (!port) {
    std::fprintf(stderr, "synack udp-echo: error: bad --port '%s': expected 1 to 65535\n",
                 a.port.c_str());
    return 2;
  }
  int code = 0;
  auto session = NetSession::open("udp-echo", a.net, code);
  if (!session) return code;
  auto sock = session->stack().udp_bind(*port);
  if (!sock) {
    std::fprintf(stderr, "synack udp-echo: error: cannot bind UDP port %u: %s\n", *port,
                 std::string(socket::to_string(sock.error())).c_str());
    return 1;
  }
  std::uint64_t echoed = 0;
  sock->on_event([&] {
    while (true) {
      auto d = sock->try_recv();
      if (!d) {
        if (d.error() == socket::SocketError::WouldBlock) break;
        continue;  // an unconnected socket has no pending errors; be safe anyway
      }
      if (sock->send_to(d->addr, d->port, d->data) == socket::SocketError::None) ++echoed;
    }
  });
  std::printf("ready %s:%u\n", session->address().to_string().c_str(), *port);
  std::fflush(stdout);
  session->loop().run_until([] { return false; });  // until SIGINT or SIGTERM
  if (session->loop().device_failed()) {
    std::fprintf(stderr, "synack udp-echo: error: the TUN device failed\n");
    return 1;
  }
  session->loop().drain(std::chrono::milliseconds(200));
  std::fprintf(stderr, "udp-echo: %llu datagrams echoed, %llu dropped\n",
               static_cast<unsigned long long>(echoed),
               static_cast<unsigned long long>(sock->counters().dropped_queue_full));
  return 0;
}

}  // namespace synack::tools
