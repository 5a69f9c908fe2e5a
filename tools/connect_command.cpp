#include "connect_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_checks.hpp"
#include "connect_parallel.hpp"
#include "net_cores.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::tools {

CLI::App* add_connect_command(CLI::App& app, ConnectArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "connect", "open one TCP connection through a TUN device, send a file, print what arrives");
  a.net.allow_dhcp = true;
  add_net_options(cmd, a.net);
  add_text_option(cmd, "--to", a.to, "the server, IP:PORT")->required();
  add_text_option(cmd, "--send", a.send_file, "send this file's contents once connected");
  add_strict_flag(cmd, "--shutdown-after-send", a.shutdown_after_send,
                  "half-close (send FIN) once the file is sent, then read until the peer closes");
  add_text_option(cmd, "--out", a.out_file, "write received bytes here (default: stdout)");
  add_integer_option(cmd, "--parallel", a.parallel, 1, 4096,
                     "open K connections (1-4096), round-robin over the cores, each sending the\n"
                     "--send file; received bytes are counted (no --out), and one summary line\n"
                     "`parallel K connections on N cores: A ok, B failed; #I core C sent S\n"
                     "received R OUTCOME; ...` goes to stdout at the end");
  add_integer_option(
      cmd, "--cores", a.cores, 1, 64,
      "run N stacks (1-64), each on its own thread pinned to a CPU with its own queue of a\n"
      "multi-queue TUN and its own chunk of ephemeral ports, steered back to it. Unless\n"
      "both are 1: no --addr dhcp, --tap, --pcap, --trace or --out; --impair seeds core i\n"
      "with seed+i; --stats prints a `core I device ...` line per queue and their sum");
  cmd->footer(
      "Exits 0 after a clean close (with --parallel, of every connection); otherwise 1\n"
      "with one line naming the reason: refused, timed out or reset.");
  return cmd;
}

int run_connect_command(const ConnectArgs& a) {
  auto colon = a.to.rfind(':');
  std::optional<wire::Ipv4Address> ip;
  std::optional<std::uint16_t> port;
  if (colon != std::string::npos) {
    ip = wire::Ipv4Address::parse(a.to.substr(0, colon));
    port = parse_port(a.to.substr(colon + 1));
  }
  auto unicast = [](wire::Ipv4Address x) {
    std::uint32_t v = x.to_u32();
    return v != 0 && (v >> 24) != 127 && (v >> 28) < 0xe;
  };
  if (!ip || !port || !unicast(*ip)) {
    std::fprintf(
        stderr,
        "synack connect: error: bad --to '%s': expected unicast IP:PORT like 10.78.0.1:80\n",
        a.to.c_str());
    return 2;
  }
  // Every argument, the files included, is checked before anything is
  // opened, written or created.
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack connect: error: %s\n", msg.c_str());
    return 2;
  };
  if (auto err = check_net_args(a.net)) return bad(*err);
  if (a.net.addr != "dhcp" && wire::Ipv4Cidr::parse(a.net.addr)->address == *ip)
    return bad("--to " + a.to + " is synack's own --addr");
  if (!a.send_file.empty())
    if (auto err = check_input_file(a.send_file)) return bad("bad --send: " + *err);
  const bool several = a.cores > 1 || a.parallel > 1;
  if (several) {
    const char* single = "--cores 1 and --parallel 1";
    if (auto err = check_cores_args(a.net, 2, single)) return bad(*err);
    if (!a.out_file.empty()) return bad(std::string("--out needs ") + single);
    if (a.cores > a.parallel)
      return bad("--cores " + std::to_string(a.cores) + " is more than --parallel " +
                 std::to_string(a.parallel) +
                 ": a core would have no connection (add --parallel K, K >= " +
                 std::to_string(a.cores) + ")");
    return run_connect_parallel(a, *ip, *port);
  }
  if (!a.out_file.empty()) {
    if (auto err = check_output_path(a.out_file)) return bad("bad --out: " + *err);
    if (!a.send_file.empty() && same_file(a.send_file, a.out_file))
      return bad("--send and --out name the same file '" + a.out_file + "'");
    for (const std::string* other : {&a.net.pcap, &a.net.trace})
      if (!other->empty() && *other != "-" && same_file(*other, a.out_file))
        return bad("--out and --pcap or --trace name the same file '" + a.out_file + "'");
  }
  int code = 0;
  auto session = NetSession::open("connect", a.net, code);
  if (!session) return code;
  std::FILE* in = nullptr;
  if (!a.send_file.empty()) {
    in = std::fopen(a.send_file.c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "synack connect: error: cannot read --send file %s\n",
                   a.send_file.c_str());
      return 1;
    }
  }
  std::FILE* out = stdout;
  if (!a.out_file.empty()) {
    out = std::fopen(a.out_file.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "synack connect: error: cannot write --out file %s\n",
                   a.out_file.c_str());
      if (in) std::fclose(in);
      return 1;
    }
  }
  // --addr dhcp: connect once leased (the lease's lines are on stdout).
  if (!session->wait_for_address()) {
    std::fprintf(stderr, "synack connect: interrupted before a DHCP lease\n");
    if (in) std::fclose(in);
    if (out != stdout) std::fclose(out);
    return 1;
  }
  auto stream = session->stack().connect(*ip, *port, session->tcp_config());
  if (!stream) {
    std::fprintf(stderr, "synack connect: error: %s\n",
                 std::string(socket::to_string(stream.error())).c_str());
    return 1;
  }
  socket::TcpStream& s = *stream;
  std::vector<std::uint8_t> chunk(64 * 1024);
  std::size_t chunk_len = 0, chunk_off = 0;
  bool input_done = in == nullptr;
  bool closing = false;

  auto pump = [&] {
    if (!s.connected() && s.state() != tcp::TcpState::CloseWait) return;
    // Send the file as the send buffer allows.
    while (!input_done) {
      if (chunk_off == chunk_len) {
        chunk_len = std::fread(chunk.data(), 1, chunk.size(), in);
        chunk_off = 0;
        if (chunk_len == 0) {
          input_done = true;
          if (a.shutdown_after_send) s.shutdown();
          break;
        }
      }
      std::size_t n = s.write(std::span(chunk.data() + chunk_off, chunk_len - chunk_off));
      chunk_off += n;
      if (n == 0) break;
    }
    std::uint8_t buf[16384];
    while (std::size_t n = s.read(buf))
      std::fwrite(buf, 1, n, out);
    // The peer closed and we have nothing more to send: close our side.
    if (s.at_eof() && input_done && !closing) {
      closing = true;
      s.close();
    }
  };
  s.on_event(pump);
  if (session->tracing())
    session->loop().every(std::chrono::seconds(1), [&] {
      if (!s.closed()) session->trace_connection(s.connection(), "now");
    });
  session->loop().run_until([&] { return s.closed(); });
  session->loop().drain(std::chrono::seconds(1));  // the last ACK or RST reaches the wire
  session->trace_connection(s.connection(), "closed");
  std::fflush(out);
  if (in) std::fclose(in);
  if (out != stdout) std::fclose(out);

  if (session->loop().stop_signal()) {
    std::fprintf(stderr, "synack connect: interrupted\n");
    s.abort();
    session->loop().drain(std::chrono::seconds(1));
    return 1;
  }
  switch (s.error()) {
    case socket::SocketError::None:
      return 0;
    case socket::SocketError::Refused:
      std::fprintf(stderr, "synack connect: connection refused by %s\n", a.to.c_str());
      return 1;
    case socket::SocketError::TimedOut:
      std::fprintf(stderr, "synack connect: connection to %s timed out\n", a.to.c_str());
      return 1;
    case socket::SocketError::Reset:
      std::fprintf(stderr, "synack connect: connection reset by %s\n", a.to.c_str());
      return 1;
    default:
      std::fprintf(stderr, "synack connect: connection ended: %s\n",
                   std::string(socket::to_string(s.error())).c_str());
      return 1;
  }
}

}  // namespace synack::tools
