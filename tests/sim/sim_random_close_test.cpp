// Randomised deterministic simulation (DESIGN.md §4 layer 3): one seed picks
// the link impairments, the two byte streams, the API and the close order of
// one client/server exchange; every seed must keep every invariant.
//
//   SYNACK_SIM_SEEDS=n       number of seeds (default 1000), from SYNACK_SIM_SEED_BASE (default 1)
//   SYNACK_SIM_SEED=s        run only seed s, verbosely
//   SYNACK_SIM_TRACE=log|diagram  with SYNACK_SIM_SEED: print the run's events
//   SYNACK_SIM_LOSS_DETECTION=rfc6675  DupThresh instead of RACK, for comparison
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "sim_workload.hpp"
#include "trace/sequence_diagram.hpp"

using namespace synack;
using namespace synack::simtest;

namespace {

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  std::uint64_t n = std::strtoull(v, &end, 10);
  if (*end != '\0') {
    ADD_FAILURE() << name << "=" << v << " is not a number";
    return std::nullopt;
  }
  return n;
}

// The seed's scenario, with the loss detector SYNACK_SIM_LOSS_DETECTION asks for.
Scenario scenario(std::uint64_t seed) {
  Scenario sc = Scenario::from_seed(seed);
  const char* v = std::getenv("SYNACK_SIM_LOSS_DETECTION");
  if (v && std::string(v) == "rfc6675")
    for (SideSpec* s : {&sc.client, &sc.server})
      s->tcp.loss_detection = tcp::LossDetection::Rfc6675;
  return sc;
}

std::string reproducer(std::uint64_t seed) {
  return fmt::format(
      "reproduce: SYNACK_SIM_SEED={} ./build/sim_tests --gtest_filter=SimRandomClose.*", seed);
}

void run_one_verbosely(std::uint64_t seed) {
  Scenario sc = scenario(seed);
  std::cout << sc.describe() << "\n";
  tcp::Trace trace;
  Outcome out = run_scenario(sc, trace);
  if (const char* t = std::getenv("SYNACK_SIM_TRACE")) {
    if (std::string(t) == "diagram") {
      trace::DiagramOptions o;
      o.width = 140;
      std::cout << trace::render_sequence_diagram(trace.events(), o);
    } else {
      std::cout << trace::render_event_log(trace.events());
    }
  }
  std::cout << fmt::format(
      "exchange {} ms, until empty {} ms, {} segments, longest without progress {} ms (bound {} "
      "ms){}\n",
      to_ms(out.exchange_time), to_ms(out.total_time), out.segments, to_ms(out.longest_stall),
      to_ms(out.stall_bound), out.time_wait_reset ? ", TIME-WAIT ended by the peer's RST" : "");
  for (const auto& p : out.problems)
    std::cout << "  " << p << "\n";
  EXPECT_TRUE(out.ok()) << reproducer(seed);
}

}  // namespace

TEST(SimRandomClose, EverySeedKeepsTheInvariants) {
  if (auto seed = env_u64("SYNACK_SIM_SEED")) {
    run_one_verbosely(*seed);
    return;
  }
  const std::uint64_t count = env_u64("SYNACK_SIM_SEEDS").value_or(1000);
  const std::uint64_t base = env_u64("SYNACK_SIM_SEED_BASE").value_or(1);
  struct Failure {
    std::uint64_t seed;
    Scenario sc;
    Outcome out;
  };
  std::vector<Failure> failures;
  Duration virtual_total{0};
  std::uint64_t segments = 0;
  std::uint64_t tw_resets = 0;
  std::uint64_t closing_resets = 0;
  std::uint64_t fin_wait2_timeouts = 0;
  std::uint64_t rejected = 0;
  std::uint64_t retransmits = 0;
  double worst_stall_ratio = 0;  // longest stall / its bound, over the seeds
  std::uint64_t worst_stall_seed = 0;
  auto wall_start = std::chrono::steady_clock::now();
  for (std::uint64_t seed = base; seed < base + count; ++seed) {
    Scenario sc = scenario(seed);
    tcp::Trace trace;
    Outcome out = run_scenario(sc, trace);
    virtual_total += out.total_time;
    tw_resets += out.time_wait_reset ? 1 : 0;
    closing_resets += out.closing_reset ? 1 : 0;
    fin_wait2_timeouts += out.fin_wait2_timeout ? 1 : 0;
    rejected += out.rejected_frames;
    retransmits += out.retransmits;
    segments += out.segments;
    double ratio = out.stall_bound.count() > 0 ? static_cast<double>(out.longest_stall.count()) /
                                                     static_cast<double>(out.stall_bound.count())
                                               : 0;
    if (ratio > worst_stall_ratio) {
      worst_stall_ratio = ratio;
      worst_stall_seed = seed;
    }
    if (!out.ok()) failures.push_back({seed, sc, std::move(out)});
  }
  auto wall = std::chrono::steady_clock::now() - wall_start;
  std::cout << fmt::format(
      "{} seeds from {}: {} failed; {} ms wall, {} s virtual; {} segments, {} timeouts, {} "
      "corrupt frames rejected; {} TIME-WAITs ended by the closed peer's RST (RFC 1337 hazard), "
      "{} CLOSINGs outlived the peer's TIME-WAIT, {} FIN-WAIT-2 timeouts; longest time without "
      "progress {:.0f} % of its bound (seed {})\n",
      count, base, failures.size(),
      std::chrono::duration_cast<std::chrono::milliseconds>(wall).count(),
      to_ms(virtual_total) / 1000, segments, retransmits, rejected, tw_resets, closing_resets,
      fin_wait2_timeouts, worst_stall_ratio * 100, worst_stall_seed);
  for (std::size_t i = 0; i < failures.size() && i < 50; ++i)
    std::cout << fmt::format("  seed {} ({}): {}\n", failures[i].seed,
                             to_string(failures[i].sc.order), failures[i].out.problems.front());
  for (std::size_t i = 0; i < failures.size() && i < 5; ++i) {
    const Failure& f = failures[i];
    std::cout << f.sc.describe() << "\n";
    for (const auto& p : f.out.problems)
      std::cout << "  " << p << "\n";
    std::cout << "  " << reproducer(f.seed) << "\n";
  }
  if (!failures.empty()) {
    std::string seeds;
    for (const auto& f : failures)
      seeds += fmt::format(" {}", f.seed);
    ADD_FAILURE() << failures.size() << " of " << count << " seeds failed:" << seeds << "\n"
                  << reproducer(failures.front().seed);
  }
}

// The same seed gives the same run, event for event.
TEST(SimRandomClose, SameSeedSameRun) {
  for (std::uint64_t seed : {3u, 17u}) {
    tcp::Trace a, b;
    Outcome oa = run_scenario(Scenario::from_seed(seed), a);
    Outcome ob = run_scenario(Scenario::from_seed(seed), b);
    EXPECT_EQ(oa.segments, ob.segments);
    EXPECT_EQ(trace::render_event_log(a.events()), trace::render_event_log(b.events()))
        << reproducer(seed);
  }
}

// Seeds that once failed, run by name in every CI run whatever SYNACK_SIM_SEEDS
// says. Issue 12: 4759, 6606, 8797 and 9309 (18-20 % loss) were not finished
// after 30 minutes: with DupThresh recovery a hole under one or two SACKed
// segments at the tail waited for the RTO at its 120 s cap (seed 6606 sent
// the hole 91 s after it learned of it). RACK marks it lost a quarter of an
// RTT after the SACK. 49038 and 72191 failed the first 100,000-seed run with
// RACK: ACK-loss episodes taken as RTT samples had put the RTO at its cap.
TEST(SimRandomClose, NamedSeeds) {
  for (std::uint64_t seed : {4759u, 6606u, 8797u, 9309u, 49038u, 72191u}) {
    tcp::Trace trace;
    Outcome out = run_scenario(Scenario::from_seed(seed), trace);
    std::cout << fmt::format(
        "seed {}: exchange {} ms, longest without progress {} ms (bound {} ms)\n", seed,
        to_ms(out.exchange_time), to_ms(out.longest_stall), to_ms(out.stall_bound));
    for (const auto& p : out.problems)
      std::cout << "  " << p << "\n";
    EXPECT_TRUE(out.ok()) << reproducer(seed);
    // At their 18-20 % loss the stall bound is near the 30-minute limit, so
    // it would not catch the slow repair coming back; each took over 15
    // minutes at some point (most never finished) and takes under one now.
    EXPECT_LT(out.exchange_time, std::chrono::minutes(2)) << reproducer(seed);
  }
}
