#pragma once
// `synack resolve`: look up names' A records through synack's own UDP and
// DNS stub resolver, over a TUN device, and print one line per name.
#include <string>
#include <vector>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct ResolveArgs {
  NetArgs net;
  std::vector<std::string> names;
  std::string dns;  // the server's IP
  std::string dns_port = "53";
};

CLI::App* add_resolve_command(CLI::App& app, ResolveArgs& args);
int run_resolve_command(const ResolveArgs& args);

}  // namespace synack::tools
