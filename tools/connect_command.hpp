#pragma once
// `synack connect`: open one connection through a TUN device, optionally send
// a file and half-close, write what arrives to a file or stdout, and exit with
// the way the connection ended.
#include <string>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct ConnectArgs {
  NetArgs net;
  std::string to;  // IP:PORT
  std::string send_file;
  bool shutdown_after_send = false;
  std::string out_file;
  int cores = 1;     // --cores N: stacks, each on its own thread and TUN queue
  int parallel = 1;  // --parallel K: connections, round-robin over the cores
};

CLI::App* add_connect_command(CLI::App& app, ConnectArgs& args);
int run_connect_command(const ConnectArgs& args);

}  // namespace synack::tools
