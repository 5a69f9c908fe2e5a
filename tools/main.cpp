// The synack command line: each subcommand lives in its own file
// (tools/<name>_command.cpp) and is registered and dispatched here.
#include <CLI/CLI.hpp>

#include <string>

#include "connect_command.hpp"
#include "demo_command.hpp"
#include "flood_command.hpp"
#include "relay_command.hpp"
#include "serve_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "synack: a userspace TCP/IP stack (C++20) with a deterministic network simulator.\n"
      "Start with `synack demo`: the three-way handshake, lost segments and the listen\n"
      "backlog, drawn as sequence diagrams.",
      "synack"};
  app.require_subcommand(1);
  app.footer("Run `synack COMMAND --help` for a command's options.");
  // Usage errors: one line on stderr and exit status 2 (as getopt tools do).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "synack: error: " + std::string(e.what()) + " (see --help)\n";
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
  return 2;
}
