#pragma once
// The SYN flood lab on the simulated network: one listener, legitimate
// clients opening connections at a steady rate, and an attacker sending
// spoofed SYNs at a chosen rate and never answering. One run per SYN cookie
// mode; a row per second of queue occupancy, legitimate success, connect
// latency and the listener host's TCP memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "tcp/tcp_config.hpp"

namespace synack::flood {

struct FloodLabConfig {
  tcp::SyncookieMode mode = tcp::SyncookieMode::Auto;
  int seconds = 30;           // virtual seconds of flood
  double legit_rate = 20;     // legitimate connections started per second
  double attack_rate = 2000;  // spoofed SYNs per second
  std::size_t syn_backlog = 128;
  std::size_t backlog = 128;
  Duration link_delay = std::chrono::milliseconds(10);  // each way
  // A legitimate connect counts as a success when its handshake completes
  // within this time (a person waiting on a page gives up around here).
  Duration connect_deadline = std::chrono::seconds(3);
  std::uint64_t seed = 1;
};

// One second of the run. Attempts are counted in the second they started.
struct FloodSecond {
  int second = 0;
  std::size_t syn_queue = 0;  // at the end of the second
  std::size_t syn_queue_max = 0;
  std::size_t accept_queue = 0;
  std::size_t accept_queue_max = 0;
  std::uint64_t attempts = 0;
  std::uint64_t successes = 0;
  double p50_ms = 0;  // connect latency of this second's successes
  double p99_ms = 0;
  std::size_t memory_bytes = 0;  // request socks, connections, TIME-WAIT
  std::uint64_t spoofed_syns = 0;
  double success_pct() const { return attempts ? 100.0 * successes / attempts : 100.0; }
};

struct FloodSummary {
  std::uint64_t attempts = 0;
  std::uint64_t successes = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::size_t memory_min = 0;  // over the seconds after the first
  std::size_t memory_max = 0;
  std::uint64_t spoofed_syns = 0;
  std::uint64_t cookies_sent = 0;
  std::uint64_t cookies_validated = 0;
  std::uint64_t cookies_rejected = 0;
  std::uint64_t syn_queue_drops = 0;
  std::uint64_t accept_queue_overflows = 0;
  std::uint64_t half_open_expired = 0;
  double success_pct() const { return attempts ? 100.0 * successes / attempts : 100.0; }
};

struct FloodRun {
  FloodLabConfig config;
  std::vector<FloodSecond> seconds;
  FloodSummary summary;
};

// Runs one mode to the end (virtual time; a 30 s run takes about a second).
FloodRun run_flood_lab(const FloodLabConfig& cfg);

std::string to_string(tcp::SyncookieMode mode);

}  // namespace synack::flood
