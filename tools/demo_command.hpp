#pragma once
// `synack demo`: the README's first command. Registers the subcommand and its
// options with CLI11 and runs the chosen scenarios.
#include <cstddef>
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace synack::tools {

struct DemoArgs {
  std::string scenario = "all";  // "1", "2", "3" or "all"
  std::uint64_t seed = 1;
  std::size_t width = 100;
  std::string pcap;  // empty: no capture
};

// Adds the "demo" subcommand to `app`, storing its options in `args` (which
// must outlive parsing). Returns the subcommand, to test parsed().
CLI::App* add_demo_command(CLI::App& app, DemoArgs& args);
// Runs the demo; the process exit code (0 ok, 1 a scenario went wrong or the
// capture could not be written).
int run_demo_command(const DemoArgs& args);

}  // namespace synack::tools
