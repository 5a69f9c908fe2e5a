#pragma once
// `synack serve`: listen on a TUN device and run a small application on each
// connection (the command-line contract in README.md).
#include <string>

#include "net_session.hpp"
#include "serve_http_options.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct ServeArgs {
  NetArgs net;
  std::string port;
  std::string app;
  HttpServeArgs http;
  std::string ddns;  // --ddns SPEC (apps/ddns/ddns_spec.hpp)
  std::string dns;   // --dns IP for --ddns's lookups (else the lease's)
  int cores = 1;     // --cores N: stacks, each on its own thread and TUN queue
};

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);
int run_serve_command(const ServeArgs& args);

}  // namespace synack::tools
