#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"synack: a userspace TCP/IP stack"};
  app.require_subcommand(1);
  app.add_subcommand("demo", "the article's handshake on the simulated network");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
