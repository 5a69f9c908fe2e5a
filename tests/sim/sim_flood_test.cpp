// The SYN flood lab's claims, on the simulated network: with cookies off a
// flood 100 times the legitimate rate keeps the SynQueue full and turns
// legitimate clients away (the article's failure); with cookies on or auto
// at least 99.9 % of them connect and the listener's memory stays flat.
#include <gtest/gtest.h>

#include "flood_lab.hpp"
#include "flood_plot.hpp"

using namespace synack;
using namespace synack::flood;
using namespace std::chrono_literals;

namespace {
FloodRun run(tcp::SyncookieMode mode, int seconds = 20) {
  FloodLabConfig cfg;
  cfg.mode = mode;
  cfg.seconds = seconds;
  cfg.legit_rate = 50;
  cfg.attack_rate = 5000;  // 100x
  cfg.syn_backlog = 128;
  cfg.seed = 7;
  return run_flood_lab(cfg);
}
}  // namespace

TEST(SimFlood, CookiesOffFloodFillsQueueAndLegitimateClientsFail) {
  FloodRun r = run(tcp::SyncookieMode::Off);
  EXPECT_NEAR(static_cast<double>(r.summary.attempts), 1000.0, 150.0);  // Poisson arrivals
  EXPECT_LT(r.summary.success_pct(), 50.0);
  EXPECT_GT(r.summary.syn_queue_drops, 50'000u);
  EXPECT_EQ(r.summary.cookies_sent, 0u);
  for (std::size_t i = 1; i < r.seconds.size(); ++i)
    EXPECT_GE(r.seconds[i].syn_queue_max, 127u) << "second " << i;
}

TEST(SimFlood, CookiesAutoKeepsEveryLegitimateClientWithFlatMemory) {
  FloodRun r = run(tcp::SyncookieMode::Auto);
  EXPECT_NEAR(static_cast<double>(r.summary.attempts), 1000.0, 150.0);  // Poisson arrivals
  EXPECT_GE(r.summary.success_pct(), 99.9);
  EXPECT_EQ(r.summary.successes, r.summary.attempts);  // every one, for this seed
  EXPECT_GT(r.summary.cookies_sent, 50'000u);
  EXPECT_GE(r.summary.cookies_validated, 990u);
  EXPECT_EQ(r.summary.cookies_rejected, 0u);
  EXPECT_LT(r.summary.p99_ms, 100.0);  // one round trip (20 ms) plus queueing, no retry
  // Flat: the SynQueue never holds more than its limit, and the memory in
  // use after the first second varies by less than the size of the queue.
  for (const FloodSecond& s : r.seconds)
    EXPECT_LE(s.syn_queue_max, 128u);
  EXPECT_LE(r.summary.memory_max - r.summary.memory_min, r.summary.memory_max / 2);
  EXPECT_LE(r.summary.memory_max, r.seconds[2].memory_bytes * 3 / 2);
}

TEST(SimFlood, CookiesOnKeepsNoHalfOpenState) {
  FloodRun r = run(tcp::SyncookieMode::On, 10);
  EXPECT_GE(r.summary.success_pct(), 99.9);
  for (const FloodSecond& s : r.seconds)
    EXPECT_EQ(s.syn_queue_max, 0u);
}

TEST(SimFlood, SameSeedSameRun) {
  FloodRun a = run(tcp::SyncookieMode::Auto, 3);
  FloodRun b = run(tcp::SyncookieMode::Auto, 3);
  ASSERT_EQ(a.seconds.size(), b.seconds.size());
  for (std::size_t i = 0; i < a.seconds.size(); ++i) {
    EXPECT_EQ(a.seconds[i].successes, b.seconds[i].successes);
    EXPECT_EQ(a.seconds[i].p99_ms, b.seconds[i].p99_ms);
    EXPECT_EQ(a.seconds[i].syn_queue, b.seconds[i].syn_queue);
  }
}

TEST(SimFlood, PlotHasOneLinePerModeInEachPanel) {
  std::vector<FloodRun> runs;
  for (auto m : {tcp::SyncookieMode::Off, tcp::SyncookieMode::On, tcp::SyncookieMode::Auto})
    runs.push_back(run(m, 2));
  std::string svg = flood_plot_svg(runs);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  std::size_t lines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1))
    ++lines;
  EXPECT_EQ(lines, 6u);
  EXPECT_NE(svg.find("SynQueue occupancy"), std::string::npos);
  EXPECT_NE(svg.find("auto: 100.0 % ok"), std::string::npos);
}
