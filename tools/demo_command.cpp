#include "demo_command.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>

#include "cli_checks.hpp"
#include "demo_scenarios.hpp"
#include "phy/pcap_writer.hpp"

namespace synack::tools {

using namespace std::chrono_literals;

CLI::App* add_demo_command(CLI::App& app, DemoArgs& args) {
  CLI::App* demo = app.add_subcommand(
      "demo", "Watch TCP open, lose, retry and queue connections on a simulated network");
  demo->add_option("--scenario", args.scenario, "Which scenario to run: 1, 2, 3 or all")
      ->check(CLI::IsMember({"1", "2", "3", "all"}))
      ->default_str("all");
  add_u64_option(demo, "--seed", args.seed,
                 "Seed for the simulation (initial sequence numbers, local ports), 0 to 2^64-1")
      ->default_str("1");
  add_integer_option(demo, "--width", args.width, 60, 400,
                     "Width of the diagrams and text in columns, 60 to 400")
      ->default_str("100");
  add_text_option(demo, "--pcap", args.pcap,
                  "Also write every frame to FILE (pcap, raw IPv4; open it with wireshark or "
                  "tshark -r FILE)")
      ->type_name("FILE");
  demo->footer(
      "Runs three short stories on a simulated network (virtual time, so it finishes at once\n"
      "and prints the same output every time for a given seed). Each is explained in plain\n"
      "words, drawn as a sequence diagram with both ends' TCP states, and followed by the\n"
      "counters the stack kept:\n"
      "  1  Clean handshake: SYN, SYN-ACK, ACK, a request and its answer, the four-way close,\n"
      "     and TIME-WAIT running out after 2*MSL = 60 s.\n"
      "  2  Lost SYN-ACK and lost final ACK: retransmissions with growing waits, and a server\n"
      "     left half-open (SYN-RECEIVED) until the client's first data arrives.\n"
      "  3  Backlog: five clients against a listener with room for 2 half-open and 2\n"
      "     not-yet-accepted connections whose application is late to accept().\n\n"
      "Examples:\n"
      "  synack demo                       all three scenarios\n"
      "  synack demo --scenario 2          only the lost-handshake story\n"
      "  synack demo --pcap demo.pcap && tshark -r demo.pcap");
  return demo;
}

int run_demo_command(const DemoArgs& args) {
  if (!args.pcap.empty()) {
    if (auto err = check_output_path(args.pcap)) {
      fmt::print(stderr, "synack demo: error: bad --pcap: {}\n", *err);
      return 2;
    }
  }
  std::unique_ptr<phy::PcapWriter> pcap;
  if (!args.pcap.empty()) {
    std::string error;
    pcap = phy::PcapWriter::open(args.pcap, &error);
    if (!pcap) {
      fmt::print(stderr, "synack demo: cannot write {}: {}\n", args.pcap, error);
      return 1;
    }
  }
  demo::DemoOptions opts;
  opts.seed = args.seed;
  opts.width = args.width;
  opts.pcap = pcap.get();

  using Runner = demo::ScenarioOutcome (*)(const demo::DemoOptions&, Instant);
  const Runner runners[] = {demo::run_clean_handshake, demo::run_lost_handshake, demo::run_backlog};
  fmt::print(
      "synack demo (seed {}): TCP on a simulated network. Time is virtual, so the minutes\n"
      "below take no time to run, and the same seed always prints the same thing.\n\n",
      args.seed);
  // The scenarios follow each other on one virtual time line (so that a
  // capture of all three reads in order); each diagram counts from its own 0.
  Instant start{};
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    if (args.scenario != "all" && args.scenario != std::to_string(i + 1)) continue;
    demo::ScenarioOutcome out = runners[i](opts, start);
    failures += out.problems.empty() ? 0 : 1;
    Duration next = out.end.time_since_epoch() + 10s;
    start = Instant(next - next % Duration(10s) + Duration(10s));
  }
  if (pcap) {
    pcap->close();
    fmt::print("Capture: {} frames written to {} (try: tshark -r {})\n", pcap->frames_written(),
               args.pcap, args.pcap);
  }
  if (failures > 0) {
    fmt::print(stderr, "synack demo: {} scenario(s) did not go as described (see PROBLEM lines)\n",
               failures);
    return 1;
  }
  return 0;
}

}  // namespace synack::tools
