// The synack command line: each subcommand lives in its own file
// (tools/<name>_command.cpp) and is registered and dispatched here.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "at_modem_command.hpp"
#include "connect_command.hpp"
#include "demo_command.hpp"
#include "fetch_command.hpp"
#include "flood_command.hpp"
#include "nat_command.hpp"
#include "relay_command.hpp"
#include "resolve_command.hpp"
#include "serve_command.hpp"
#include "udp_echo_command.hpp"
#include "udp_send_command.hpp"

namespace {

// "synack SUB: error: --NAME takes no value ..." when an argument is
// --NAME=VALUE for a flag of the subcommand it follows.
std::optional<std::string> flag_given_value(CLI::App& app, int argc, char** argv) {
  CLI::App* sub = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (!sub) {
      for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
        if (arg == s->get_name()) sub = s;
      continue;
    }
    auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos) continue;
    std::string name(arg.substr(2, eq - 2));
    for (const CLI::Option* o : sub->get_options()) {
      if (o->get_expected_max() != 0) continue;  // takes a value
      for (const std::string& n : o->get_lnames())
        if (n == name)
          return "synack " + sub->get_name() + ": error: --" + name + " takes no value, got '" +
                 std::string(arg) + "' (see synack " + sub->get_name() + " --help)\n";
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "synack: a userspace TCP/IP stack (C++20) with a deterministic network simulator.\n"
      "Start with `synack demo`: the three-way handshake, lost segments and the listen\n"
      "backlog, drawn as sequence diagrams.",
      "synack"};
  app.require_subcommand(1);
  app.footer("Run `synack COMMAND --help` for a command's options.");
  // Usage errors: one line on stderr and exit status 2 (as getopt tools do).
  // Named after the subcommand being parsed, like the subcommands' own errors.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    std::string who = "synack";
    for (const CLI::App* sub : a->get_subcommands())
      who += " " + sub->get_name();
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    return who + ": error: " + what + " (see " + who + " --help)\n";
  });

  synack::tools::DemoArgs demo_args;
  CLI::App* demo = synack::tools::add_demo_command(app, demo_args);
  synack::tools::ServeArgs serve_args;
  CLI::App* serve = synack::tools::add_serve_command(app, serve_args);
  synack::tools::ConnectArgs connect_args;
  CLI::App* connect = synack::tools::add_connect_command(app, connect_args);
  synack::tools::RelayArgs relay_args;
  CLI::App* relay = synack::tools::add_relay_command(app, relay_args);
  synack::tools::FloodArgs flood_args;
  CLI::App* flood = synack::tools::add_flood_command(app, flood_args);
  synack::tools::AtModemArgs at_modem_args;
  CLI::App* at_modem = synack::tools::add_at_modem_command(app, at_modem_args);
  synack::tools::UdpEchoArgs udp_echo_args;
  CLI::App* udp_echo = synack::tools::add_udp_echo_command(app, udp_echo_args);
  synack::tools::UdpSendArgs udp_send_args;
  CLI::App* udp_send = synack::tools::add_udp_send_command(app, udp_send_args);
  synack::tools::ResolveArgs resolve_args;
  CLI::App* resolve = synack::tools::add_resolve_command(app, resolve_args);
  synack::tools::FetchArgs fetch_args;
  CLI::App* fetch = synack::tools::add_fetch_command(app, fetch_args);
  synack::tools::NatArgs nat_args;
  CLI::App* nat = synack::tools::add_nat_command(app, nat_args);

  // CLI11 takes `--flag=true` (and, before add_strict_flag, `--nodelay=3`):
  // a flag given any value is a bad argument.
  if (auto bad = flag_given_value(app, argc, argv)) {
    std::fputs(bad->c_str(), stderr);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (demo->parsed()) return synack::tools::run_demo_command(demo_args);
  if (serve->parsed()) return synack::tools::run_serve_command(serve_args);
  if (connect->parsed()) return synack::tools::run_connect_command(connect_args);
  if (relay->parsed()) return synack::tools::run_relay_command(relay_args);
  if (flood->parsed()) return synack::tools::run_flood_command(flood_args);
  if (at_modem->parsed()) return synack::tools::run_at_modem_command(at_modem_args);
  if (udp_echo->parsed()) return synack::tools::run_udp_echo_command(udp_echo_args);
  if (udp_send->parsed()) return synack::tools::run_udp_send_command(udp_send_args);
  if (resolve->parsed()) return synack::tools::run_resolve_command(resolve_args);
  if (fetch->parsed()) return synack::tools::run_fetch_command(fetch_args);
  if (nat->parsed()) return synack::tools::run_nat_command(nat_args);
  return 2;
}
