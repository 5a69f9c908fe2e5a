#pragma once
// `synack udp-echo`: a UDP echo server (RFC 862) on synack's own UDP, over a
// TUN device.
#include <string>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct UdpEchoArgs {
  NetArgs net;
  std::string port;
};

CLI::App* add_udp_echo_command(CLI::App& app, UdpEchoArgs& args);
int run_udp_echo_command(const UdpEchoArgs& args);

}  // namespace synack::tools
