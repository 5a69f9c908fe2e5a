#pragma once
// `synack at-modem`: an ESP8266 AT-command modem (esp-at v2.2) on a
// pseudo-terminal or stdin/stdout, backed by a synack stack on TUN.
#include <string>
#include <vector>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct AtModemArgs {
  NetArgs net;
  std::string dns;
  std::string pty;  // the symlink to create
  bool stdio = false;
  std::vector<std::string> wifi;  // SSID:PASSWORD
};

CLI::App* add_at_modem_command(CLI::App& app, AtModemArgs& args);
int run_at_modem_command(const AtModemArgs& args);

}  // namespace synack::tools
