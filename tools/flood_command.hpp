#pragma once
// `synack flood`: the SYN flood lab (flood_lab.hpp) for SYN cookies off, on
// and auto, a table per second, a side-by-side summary and an SVG plot.
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace synack::tools {

struct FloodArgs {
  std::string mode = "all";  // off | on | auto | all
  int seconds = 30;
  double legit_rate = 20;
  double attack_rate = 2000;
  long long syn_backlog = 128;
  long long backlog = 128;
  long long delay_ms = 10;
  long long deadline_ms = 3000;
  std::uint64_t seed = 1;
  std::string plot;  // empty: no plot
};

CLI::App* add_flood_command(CLI::App& app, FloodArgs& args);
// 0 when it ran (and the plot was written), 1 otherwise.
int run_flood_command(const FloodArgs& args);

}  // namespace synack::tools
