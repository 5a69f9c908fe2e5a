#pragma once
// The three scenarios of `synack demo`, each on the simulated network, each
// printing an explanation, a sequence diagram and a counters summary.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace synack::phy {
class PcapWriter;
}

namespace synack::demo {

struct DemoOptions {
  std::uint64_t seed = 1;
  std::size_t width = 100;
  phy::PcapWriter* pcap = nullptr;  // every frame of every scenario; may be null
};

struct ScenarioOutcome {
  Instant end;                        // the virtual instant the scenario stopped
  std::vector<std::string> problems;  // what did not go as the story says
};

// 1: handshake, request, response, four-way close, TIME-WAIT for 2*MSL.
ScenarioOutcome run_clean_handshake(const DemoOptions& opts, Instant start);
// 2: the same with the first SYN-ACK and the handshake's final ACK lost.
ScenarioOutcome run_lost_handshake(const DemoOptions& opts, Instant start);
// 3: five clients against syn_backlog=2, backlog=2 and a late accept().
ScenarioOutcome run_backlog(const DemoOptions& opts, Instant start);

}  // namespace synack::demo
