#include "flood_command.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

#include "flood_lab.hpp"
#include "flood_plot.hpp"

namespace synack::tools {

CLI::App* add_flood_command(CLI::App& app, FloodArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "flood", "SYN flood lab: spoofed SYNs against a listener, with SYN cookies off, on, auto");
  cmd->add_option("--mode", args.mode, "SYN cookie mode to run: off, on, auto or all")
      ->check(CLI::IsMember({"off", "on", "auto", "all"}))
      ->default_str("all");
  cmd->add_option("--seconds", args.seconds, "Virtual seconds of flood per mode")
      ->check(CLI::Range(1, 3600))
      ->default_str("30");
  cmd->add_option("--legit-rate", args.legit_rate, "Legitimate connections started per second")
      ->check(CLI::Range(0.1, 10000.0))
      ->default_str("20");
  cmd->add_option("--attack-rate", args.attack_rate, "Spoofed SYNs per second")
      ->check(CLI::Range(0.0, 1000000.0))
      ->default_str("2000");
  cmd->add_option("--syn-backlog", args.syn_backlog, "The listener's SynQueue limit")
      ->check(CLI::Range(1, 1000000))
      ->default_str("128");
  cmd->add_option("--backlog", args.backlog, "The listener's AcceptQueue limit")
      ->check(CLI::Range(1, 1000000))
      ->default_str("128");
  cmd->add_option("--delay-ms", args.delay_ms, "One-way delay of every link")
      ->check(CLI::Range(0, 10000))
      ->default_str("10");
  cmd->add_option("--deadline-ms", args.deadline_ms,
                  "A legitimate connect succeeds if its handshake completes within this")
      ->check(CLI::Range(1, 600000))
      ->default_str("3000");
  cmd->add_option("--seed", args.seed, "Seed (spoofed addresses, ports, ISNs)")->default_str("1");
  cmd->add_option("--plot", args.plot,
                  "Write an SVG of success rate and SynQueue occupancy against time")
      ->type_name("FILE.svg");
  cmd->footer(
      "The article's SYN flood, reproduced: an attacker sends SYNs from random spoofed\n"
      "addresses and never answers the SYN-ACKs; legitimate clients keep connecting. With\n"
      "SYN cookies off the half-open queue stays full and legitimate SYNs are dropped; with\n"
      "cookies (on, or auto when the queue is full) the listener answers without keeping\n"
      "state, and the final ACK proves the client real (RFC 4987 §3.6). Virtual time: a\n"
      "30-second run takes about a second.\n\n"
      "Example:\n"
      "  synack flood --attack-rate 2000 --legit-rate 20 --plot flood.svg");
  return cmd;
}

namespace {

std::string kib(std::size_t bytes) {
  return fmt::format("{:.1f}", static_cast<double>(bytes) / 1024.0);
}

void print_run(const flood::FloodRun& r) {
  fmt::print("\n== SYN cookies {} ==\n", flood::to_string(r.config.mode));
  fmt::print("{:>4} {:>10} {:>12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>10}\n", "sec", "SynQueue",
             "AcceptQueue", "attempts", "success", "rate%", "p50 ms", "p99 ms", "mem KiB");
  for (const flood::FloodSecond& s : r.seconds) {
    fmt::print("{:>4} {:>6}/{:<3} {:>8}/{:<3} {:>9} {:>9} {:>8.1f} {:>8.1f} {:>8.1f} {:>10}\n",
               s.second, s.syn_queue, r.config.syn_backlog, s.accept_queue, r.config.backlog,
               s.attempts, s.successes, s.success_pct(), s.p50_ms, s.p99_ms, kib(s.memory_bytes));
  }
  const flood::FloodSummary& m = r.summary;
  fmt::print(
      "counters: spoofed SYNs {}, cookies sent {} validated {} rejected {}, SYN-queue drops {}, "
      "accept-queue overflows {}, half-open expired {}\n",
      m.spoofed_syns, m.cookies_sent, m.cookies_validated, m.cookies_rejected, m.syn_queue_drops,
      m.accept_queue_overflows, m.half_open_expired);
}

}  // namespace

int run_flood_command(const FloodArgs& args) {
  std::vector<tcp::SyncookieMode> modes;
  if (args.mode == "off" || args.mode == "all") modes.push_back(tcp::SyncookieMode::Off);
  if (args.mode == "on" || args.mode == "all") modes.push_back(tcp::SyncookieMode::On);
  if (args.mode == "auto" || args.mode == "all") modes.push_back(tcp::SyncookieMode::Auto);
  fmt::print(
      "SYN flood lab: {:g} spoofed SYN/s ({:.0f}x) against {:g} legitimate connects/s for {} s; "
      "syn_backlog {}, backlog {}, {} ms each way; success = handshake within {} ms\n",
      args.attack_rate, args.attack_rate / args.legit_rate, args.legit_rate, args.seconds,
      args.syn_backlog, args.backlog, args.delay_ms, args.deadline_ms);
  std::vector<flood::FloodRun> runs;
  for (tcp::SyncookieMode mode : modes) {
    flood::FloodLabConfig cfg;
    cfg.mode = mode;
    cfg.seconds = args.seconds;
    cfg.legit_rate = args.legit_rate;
    cfg.attack_rate = args.attack_rate;
    cfg.syn_backlog = static_cast<std::size_t>(args.syn_backlog);
    cfg.backlog = static_cast<std::size_t>(args.backlog);
    cfg.link_delay = std::chrono::milliseconds(args.delay_ms);
    cfg.connect_deadline = std::chrono::milliseconds(args.deadline_ms);
    cfg.seed = args.seed;
    runs.push_back(flood::run_flood_lab(cfg));
    print_run(runs.back());
    std::fflush(stdout);
  }
  fmt::print("\n{:<8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>16}\n", "cookies", "attempts", "success",
             "rate%", "p50 ms", "p99 ms", "mem KiB min-max");
  for (const flood::FloodRun& r : runs) {
    const flood::FloodSummary& m = r.summary;
    fmt::print("{:<8} {:>9} {:>9} {:>9.2f} {:>8.1f} {:>8.1f} {:>16}\n",
               flood::to_string(r.config.mode), m.attempts, m.successes, m.success_pct(), m.p50_ms,
               m.p99_ms, kib(m.memory_min) + "-" + kib(m.memory_max));
  }
  if (!args.plot.empty()) {
    std::ofstream f(args.plot);
    f << flood::flood_plot_svg(runs);
    if (!f) {
      fmt::print(stderr, "synack flood: cannot write {}\n", args.plot);
      return 1;
    }
    fmt::print("plot: {}\n", args.plot);
  }
  return 0;
}

}  // namespace synack::tools
