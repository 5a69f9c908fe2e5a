#include "relay_command.hpp"

#include <sys/epoll.h>
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

namespace synack::tools {

namespace {
Instant monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant(Duration(std::int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000));
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
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {dev[0]->fd(), dev[1]->fd(), sfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  std::printf("ready %s %s\n", a.tuns[0].c_str(), a.tuns[1].c_str());
  std::fflush(stdout);

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
  close(sfd);
  return 0;
}

}  // namespace synack::tools
