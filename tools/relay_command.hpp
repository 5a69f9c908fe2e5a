#pragma once
// `synack relay`: forwards raw IPv4 packets between two TUN devices through
// the seeded fault injector, so two kernels (in two namespaces) can talk
// through the same impairment synack's own tests use.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace synack::tools {

struct RelayArgs {
  std::vector<std::string> tuns;  // exactly two
  std::string impair;             // LinkParams spec with seed=N
  std::string pcap;
  int cores = 1;  // --cores N: thread i forwards queue i of A <-> queue i of B
};

CLI::App* add_relay_command(CLI::App& app, RelayArgs& args);
int run_relay_command(const RelayArgs& args);

}  // namespace synack::tools
