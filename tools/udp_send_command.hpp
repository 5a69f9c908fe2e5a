#pragma once
// `synack udp-send`: send one UDP datagram from synack's own UDP, over a TUN
// device, and print the first reply.
#include <string>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct UdpSendArgs {
  NetArgs net;
  std::string to;  // IP:PORT
  std::string message;
  std::string wait_ms = "2000";
};

CLI::App* add_udp_send_command(CLI::App& app, UdpSendArgs& args);
int run_udp_send_command(const UdpSendArgs& args);

}  // namespace synack::tools
