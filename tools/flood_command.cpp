#include "flood_command.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

#include "cli_checks.hpp"
#include "flood_lab.hpp"
#include "flood_plot.hpp"

namespace synack::tools {

CLI::App* add_flood_command(CLI::App& app, FloodArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "flood", "SYN flood lab: spoofed SYNs against a listener, with SYN cookies off, on, auto");
  cmd->add_option("--mode", args.mode, "SYN cookie mode to run: off, on, auto or all")
      ->check(CLI::IsMember({"off", "on", "auto", "all"}))
      ->default_str("all");
  add_integer_option(cmd, "--seconds", args.seconds, 1, 3600,
                     "Virtual seconds of flood per mode, 1 to 3600")
      ->default_str("30");
  add_real_option(cmd, "--legit-rate", args.legit_rate, 0.1, 10000.0,
                  "Legitimate connections started per second, 0.1 to 10000")
      ->default_str("20");
  add_real_option(cmd, "--attack-rate", args.attack_rate, 0.0, 1000000.0,
                  "Spoofed SYNs per second, 0 to 1000000")
      ->default_str("2000");
  add_integer_option(cmd, "--syn-backlog", args.syn_backlog, 1, 1000000,
                     "The listener's SynQueue limit, 1 to 1000000")
      ->default_str("128");
  add_integer_option(cmd, "--backlog", args.backlog, 1, 1000000,
                     "The listener's AcceptQueue limit, 1 to 1000000")
      ->default_str("128");
  add_integer_option(cmd, "--delay-ms", args.delay_ms, 0, 10000,
                     "One-way delay of every link, 0 to 10000")
      ->default_str("10");
  add_integer_option(cmd, "--deadline-ms", args.deadline_ms, 1, 600000,
                     "A legitimate connect succeeds if its handshake completes within this, 1 to "
                     "600000")
      ->default_str("3000");
  add_u64_option(cmd, "--seed", args.seed, "Seed (spoofed addresses, ports, ISNs), 0 to 2^64-1")
      ->default_str("1");
  add_text_option(cmd, "--plot", args.plot,
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
  // The plot is written after the run: find out now that it cannot be.
  if (!args.plot.empty()) {
    if (auto err = check_output_path(args.plot)) {
      fmt::print(stderr, "synack flood: error: bad --plot: {}\n", *err);
      return 2;
    }
  }
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
      fmt::print(stderr, "synack flood: error: cannot write {}\n", args.plot);
      return 1;
    }
    fmt::print("plot: {}\n", args.plot);
  }
  return 0;
}

}  // namespace synack::tools
