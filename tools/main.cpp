// The synack command line: each subcommand lives in its own file
// (tools/<name>_command.cpp) and is registered and dispatched here.
#include <CLI/CLI.hpp>

#include <string>

#include "demo_command.hpp"

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (demo->parsed()) return synack::tools::run_demo_command(demo_args);
  return 2;
}
