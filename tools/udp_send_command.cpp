#include "udp_send_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_checks.hpp"
#include "socket/udp_socket.hpp"

namespace synack::tools {

CLI::App* add_udp_send_command(CLI::App& app, UdpSendArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "udp-send", "send one UDP datagram through a TUN device and print the first reply");
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--to", a.to, "the peer, IP:PORT")->required();
  add_text_option(cmd, "--message", a.message,
                  "the datagram's bytes (at most 1472 on a 1500-byte link)")
      ->required();
  add_text_option(cmd, "--wait-ms", a.wait_ms, "how long to wait for a reply, 1 to 600000 (2000)");
  cmd->footer(
      "Sends from a free ephemeral port, connected to --to, and writes the first reply's bytes\n"
      "to stdout as they are. Exits 0 on a reply; 1 with one line on stderr when the peer\n"
      "answered ICMP port unreachable (`refused`) or nothing came within --wait-ms (`no reply`).");
  return cmd;
}

int run_udp_send_command(const UdpSendArgs& a) {
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack udp-send: error: %s\n", msg.c_str());
    return 2;
  };
  auto colon = a.to.rfind(':');
  std::optional<wire::Ipv4Address> ip;
  std::optional<std::uint16_t> port;
  if (colon != std::string::npos) {
    ip = wire::Ipv4Address::parse(a.to.substr(0, colon));
    port = parse_port(a.to.substr(colon + 1));
  }
  std::uint32_t v = ip ? ip->to_u32() : 0;
  if (!ip || !port || v == 0 || v == 0xffffffffu || (v >> 24) == 127 || (v >> 28) >= 0xe)
    return bad("bad --to '" + a.to + "': expected unicast IP:PORT like 10.78.0.1:7");
  std::string why;
  auto wait = parse_integer(a.wait_ms, 1, 600000, &why);
  if (!wait) return bad("bad --wait-ms '" + a.wait_ms + "': " + why);
  if (auto err = check_net_args(a.net)) return bad(*err);
  if (wire::Ipv4Cidr::parse(a.net.addr)->address == *ip)
    return bad("--to " + a.to + " is synack's own --addr");
  if (a.message.size() > 1472)
    return bad("--message is " + std::to_string(a.message.size()) +
               " bytes; one datagram carries at most 1472 (no IP fragmentation)");

  int code = 0;
  auto session = NetSession::open("udp-send", a.net, code);
  if (!session) return code;
  auto sock = session->stack().udp_bind(0);
  if (!sock) {
    std::fprintf(stderr, "synack udp-send: error: %s\n",
                 std::string(socket::to_string(sock.error())).c_str());
    return 1;
  }
  sock->connect(*ip, *port);
  if (socket::SocketError e = sock->send(a.message); e != socket::SocketError::None) {
    std::fprintf(stderr, "synack udp-send: error: %s\n", std::string(socket::to_string(e)).c_str());
    return 1;
  }
  std::optional<udp::Datagram> reply;
  socket::SocketError error = socket::SocketError::None;
  sock->on_event([&] {
    auto d = sock->try_recv();
    if (d) {
      reply = std::move(*d);
    } else if (d.error() != socket::SocketError::WouldBlock) {
      error = d.error();
    }
  });
  bool waited = false;  // the loop wakes for this timer even with nothing else to do
  session->loop().every(std::chrono::milliseconds(*wait), [&] { waited = true; });
  session->loop().run_until([&] { return reply || error != socket::SocketError::None || waited; });
  if (session->loop().stop_signal()) {
    std::fprintf(stderr, "synack udp-send: interrupted\n");
    return 1;
  }
  if (reply) {
    std::fwrite(reply->data.data(), 1, reply->data.size(), stdout);
    std::fflush(stdout);
    return 0;
  }
  if (error == socket::SocketError::Refused) {
    std::fprintf(stderr, "synack udp-send: refused by %s (ICMP port unreachable)\n", a.to.c_str());
    return 1;
  }
  if (error != socket::SocketError::None) {
    std::fprintf(stderr, "synack udp-send: error: %s\n",
                 std::string(socket::to_string(error)).c_str());
    return 1;
  }
  std::fprintf(stderr, "synack udp-send: no reply from %s within %lld ms\n", a.to.c_str(), *wait);
  return 1;
}

}  // namespace synack::tools
