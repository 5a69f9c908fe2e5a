#include "relay_command.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "cli_checks.hpp"
#include "impair_spec.hpp"
#include "phy/pcap_writer.hpp"
#include "phy/tun_device.hpp"
#include "phy/tun_steering.hpp"
#include "runtime/cores.hpp"

namespace synack::tools {

namespace {
Instant monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant(Duration(std::int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000));
}

// Forwards between a and b (a holds the impairment) until `sfd` (a
// signalfd, or an eventfd written by the signal thread) becomes readable.
void forward(phy::TunDevice& a, phy::TunDevice& b, int sfd) {
  phy::TunDevice* dev[2] = {&a, &b};
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {a.fd(), b.fd(), sfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  bool running = true;
  while (running) {
    Instant now = monotonic_now();
    int timeout = -1;
    if (auto d = dev[0]->next_deadline()) {
      auto us = (*d - now).count();
      timeout = us <= 0 ? 0 : static_cast<int>((us + 999) / 1000);
    }
    epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, timeout);
    for (int i = 0; i < n; ++i)
      if (evs[i].data.fd == sfd) running = false;
    now = monotonic_now();
    // Bounded batches keep both directions moving under load.
    for (int k = 0; k < 256; ++k) {
      auto f = dev[0]->receive(now);
      if (!f) break;
      dev[1]->transmit(now, *f);
    }
    for (int k = 0; k < 256; ++k) {
      auto f = dev[1]->receive(now);
      if (!f) break;
      dev[0]->transmit(now, *f);
    }
  }
  close(ep);
}

// relay --cores N (N > 1): N queues on each TUN, both steered by flow hash
// (phy/tun_steering.hpp) so that a flow's packets keep their order, and a
// pinned thread per queue pair.
int run_relay_cores(const RelayArgs& a, const std::optional<ImpairSpec>& impair) {
  const auto n = static_cast<std::size_t>(a.cores);
  std::vector<std::unique_ptr<phy::TunDevice>> q[2];
  for (int i = 0; i < 2; ++i) {
    phy::TunOptions o;
    o.name = a.tuns[i];
    auto t = phy::TunDevice::open_queues(o, n);
    if (!t) {
      bool perm = t.error().find("permission") != std::string::npos;
      std::fprintf(stderr, "synack relay: error: %s\n", t.error().c_str());
      return perm ? 2 : 1;
    }
    q[i] = std::move(*t);
    phy::SteeringRule rule;
    rule.queues = static_cast<std::uint16_t>(n);
    auto prog = phy::load_steering_program(rule);
    std::string err = prog ? q[i][0]->set_steering(*prog) : prog.error();
    if (prog) close(*prog);
    if (!err.empty()) {
      std::fprintf(stderr, "synack relay: error: %s\n", err.c_str());
      return err.find("permission") != std::string::npos ? 2 : 1;
    }
  }
  if (impair)
    for (std::size_t i = 0; i < n; ++i)
      q[0][i]->set_impairment(impair->link, impair->seed + i);
  // Before the threads start, so that only this thread takes the signals.
  runtime::SignalWaiter waiter({SIGINT, SIGTERM});
  std::vector<int> stop(n);
  for (int& fd : stop)
    fd = eventfd(0, EFD_CLOEXEC);
  std::printf("ready %s %s\n", a.tuns[0].c_str(), a.tuns[1].c_str());
  std::fflush(stdout);
  runtime::CoreThreads threads;
  threads.start(n, [&](std::size_t i) { forward(*q[0][i], *q[1][i], stop[i]); });
  waiter.wait();
  for (int fd : stop) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t r = write(fd, &one, sizeof one);
  }
  threads.join();
  for (int fd : stop)
    close(fd);
  return 0;
}
}  // namespace

CLI::App* add_relay_command(CLI::App& app, RelayArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "relay", "forward IPv4 packets between two TUN devices through the fault injector");
  cmd->add_option("--tun", a.tuns,
                  "a TUN interface (at most 15 characters); give it twice (A and B)")
      ->required();
  add_text_option(cmd, "--impair", a.impair,
                  "impair both directions, e.g. loss=2%,dup=1%,reorder=25%,delay=50ms,seed=7");
  add_text_option(cmd, "--pcap", a.pcap, "capture the frames as relayed (before impairment)");
  add_integer_option(
      cmd, "--cores", a.cores, 1, 64,
      "N threads (1-64), each pinned to a CPU, thread i forwarding queue i of A <-> queue i\n"
      "of B (multi-queue TUNs, each flow hashed to one queue per direction); --impair seeds\n"
      "thread i with seed+i; no --pcap with N > 1");
  cmd->footer(
      "Creates (or attaches to) both TUN devices without addresses and prints `ready A B`;\n"
      "move them into namespaces and configure them there. Runs until SIGINT or SIGTERM.");
  return cmd;
}

int run_relay_command(const RelayArgs& a) {
  // Every argument is checked before a device is created or a file written.
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack relay: error: %s\n", msg.c_str());
    return 2;
  };
  if (a.tuns.size() != 2 || a.tuns[0] == a.tuns[1])
    return bad("give --tun exactly twice, with two names");
  for (const std::string& name : a.tuns)
    if (auto err = check_ifname(name)) return bad("bad --tun: " + *err);
  std::optional<ImpairSpec> impair;
  if (!a.impair.empty()) {
    std::string err;
    impair = ImpairSpec::parse(a.impair, &err);
    if (!impair) return bad("bad --impair '" + a.impair + "': " + err);
  }
  if (!a.pcap.empty())
    if (auto err = check_output_path(a.pcap)) return bad("bad --pcap: " + *err);
  if (a.cores > 1 && !a.pcap.empty()) return bad("--pcap needs --cores 1");
  if (a.cores > 1) return run_relay_cores(a, impair);
  std::unique_ptr<phy::PcapWriter> pcap;
  if (!a.pcap.empty()) {
    std::string err;
    pcap = phy::PcapWriter::open(a.pcap, &err);
    if (!pcap) {
      std::fprintf(stderr, "synack relay: error: cannot write --pcap %s: %s\n", a.pcap.c_str(),
                   err.c_str());
      return 1;
    }
  }
  std::unique_ptr<phy::TunDevice> dev[2];
  for (int i = 0; i < 2; ++i) {
    phy::TunOptions o;
    o.name = a.tuns[i];
    o.bring_up = true;
    auto t = phy::TunDevice::open(o);
    if (!t) {
      bool perm = t.error().find("permission") != std::string::npos;
      std::fprintf(stderr, "synack relay: error: %s\n", t.error().c_str());
      return perm ? 2 : 1;
    }
    dev[i] = std::move(*t);
  }
  // The injector sits at A's boundary: frames read from A (A to B) pass its
  // ingress side, frames written to A (B to A) its egress side.
  if (impair) dev[0]->set_impairment(impair->link, impair->seed);
  if (pcap) dev[0]->set_pcap(pcap.get());

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigprocmask(SIG_BLOCK, &sigs, nullptr);
  int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
  std::printf("ready %s %s\n", a.tuns[0].c_str(), a.tuns[1].c_str());
  std::fflush(stdout);
  forward(*dev[0], *dev[1], sfd);
  close(sfd);
  return 0;
}

}  // namespace synack::tools
