#include "nat_command.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <random>

#include "apps/ddns/ddns_updater.hpp"
#include "apps/dhcp_client/dhcp_agent.hpp"
#include "apps/dhcp_client/frame_watch_device.hpp"
#include "apps/nat/nat_pmp_server.hpp"
#include "apps/nat/nat_router.hpp"
#include "cli_checks.hpp"
#include "impair_spec.hpp"
#include "net_session.hpp"
#include "phy/pcap_writer.hpp"
#include "phy/tap_device.hpp"
#include "phy/tun_device.hpp"
#include "socket/stack.hpp"
#include "socket/udp_socket.hpp"

namespace synack::tools {
namespace {

Instant monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant(Duration(std::int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000));
}

// The outside stack's own sockets (the DDNS updater's) take their ports
// here, outside Linux's ephemeral range, and the NAT never maps them.
constexpr std::uint16_t kRouterPortFirst = 61000, kRouterPortLast = 61999;

// One link as given on the command line: IF,CIDR[,HOSTCIDR] (or IF,dhcp
// for the outside: address 0.0.0.0/32 until a lease).
struct LinkSpec {
  std::string ifname;
  wire::Ipv4Cidr addr{};
  std::optional<wire::Ipv4Cidr> host;
  bool dhcp = false;
};

std::optional<std::string> parse_link(const char* option, const std::string& text, LinkSpec& out,
                                      bool allow_dhcp = false) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::string bad = std::string("bad ") + option + " '" + text + "': ";
  if (parts.size() < 2 || parts.size() > 3)
    return bad +
           (allow_dhcp ? "expected IF,CIDR[,HOSTCIDR] or IF,dhcp" : "expected IF,CIDR[,HOSTCIDR]");
  if (auto err = check_ifname(parts[0])) return bad + *err;
  out.ifname = parts[0];
  if (parts[1] == "dhcp") {
    if (!allow_dhcp) return bad + "dhcp is for --outside only";
    if (parts.size() == 3)
      return bad + "no HOSTCIDR with dhcp (the DHCP server's side configures the kernel's side)";
    out.dhcp = true;
    out.addr = wire::Ipv4Cidr{wire::Ipv4Address(), 32};
    return std::nullopt;
  }
  if (auto err = check_host_address(option, parts[1])) return err;
  out.addr = *wire::Ipv4Cidr::parse(parts[1]);
  if (parts.size() == 3) {
    if (auto err = check_host_address(option, parts[2])) return err;
    out.host = *wire::Ipv4Cidr::parse(parts[2]);
    if (out.host->address == out.addr.address)
      return bad + "HOSTCIDR and CIDR must differ (" + out.addr.address.to_string() + ")";
  }
  return std::nullopt;
}

bool overlaps(const wire::Ipv4Cidr& a, const wire::Ipv4Cidr& b) {
  std::uint8_t len = std::min(a.prefix_len, b.prefix_len);
  wire::Ipv4Cidr shorter{a.address, len};
  return shorter.contains(b.address);
}

// Enters network namespace `name` (`ip netns` keeps them in /run/netns) for
// the lifetime of the object, returning to the original one after.
class NetnsGuard {
 public:
  static std::optional<std::string> check(const std::string& option, const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      return "bad " + option + " '" + name + "': not a namespace name";
    if (::access(("/run/netns/" + name).c_str(), F_OK) != 0)
      return "bad " + option + " '" + name + "': no such network namespace (see ip netns list)";
    return std::nullopt;
  }
  explicit NetnsGuard(const std::string& name) {
    if (name.empty()) return;
    self_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (self_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      error_ = "cannot enter network namespace " + name + ": " + std::strerror(errno);
    }
    if (target >= 0) ::close(target);
  }
  ~NetnsGuard() {
    if (self_ >= 0) {
      ::setns(self_, CLONE_NEWNET);
      ::close(self_);
    }
  }
  const std::string& error() const { return error_; }

 private:
  int self_ = -1;
  std::string error_;
};

// One side of the router: its device, capture and stack.
struct Link {
  std::unique_ptr<phy::TunDevice> tun;
  std::unique_ptr<phy::TapDevice> tap;
  std::unique_ptr<phy::PcapWriter> pcap;
  std::unique_ptr<socket::Stack> stack;
  // --outside IF,dhcp on TAP: shows the DHCP agent's ARP probe each frame.
  std::unique_ptr<apps::dhcp::FrameWatchDevice> watch;
  phy::TunTapDevice* dev() { return tun ? static_cast<phy::TunTapDevice*>(tun.get()) : tap.get(); }
  iface::Device& device() {
    if (watch) return *watch;
    return tun ? static_cast<iface::Device&>(*tun) : static_cast<iface::Device&>(*tap);
  }
};

std::string open_link(Link& link, const LinkSpec& spec, bool tap, const std::string& netns,
                      const std::string& pcap_path, std::optional<wire::Ipv4Address> gateway,
                      bool local_ports, int& code) {
  code = 1;
  if (!pcap_path.empty()) {
    std::string err;
    link.pcap = phy::PcapWriter::open(pcap_path, &err,
                                      tap ? phy::PcapLinkType::Ethernet : phy::PcapLinkType::RawIp);
    if (!link.pcap) return "cannot write " + pcap_path + ": " + err;
  }
  phy::TunOptions o;
  o.name = spec.ifname;
  o.host_addr = spec.host;
  {
    NetnsGuard ns(netns);
    if (!ns.error().empty()) return ns.error();
    if (tap) {
      auto d = phy::TapDevice::open(o);
      if (!d) {
        if (d.error().find("permission") != std::string::npos) code = 2;
        return d.error();
      }
      link.tap = std::move(*d);
    } else {
      auto d = phy::TunDevice::open(o);
      if (!d) {
        if (d.error().find("permission") != std::string::npos) code = 2;
        return d.error();
      }
      link.tun = std::move(*d);
    }
  }
  if (link.pcap) link.dev()->set_pcap(link.pcap.get());
  iface::InterfaceConfig ic;
  ic.name = spec.ifname;
  ic.address = spec.addr;
  ic.mtu = link.device().caps().mtu;
  ic.gateway = gateway;
  // A DHCP server knows the client by its MAC: the same across runs.
  if (spec.dhcp) ic.mac = apps::dhcp::stable_mac(spec.ifname);
  randomize_secrets(ic.tcp);
  if (local_ports) {
    ic.tcp.ephemeral_port_first = kRouterPortFirst;
    ic.tcp.ephemeral_port_last = kRouterPortLast;
  }
  link.stack = std::make_unique<socket::Stack>(ic);
  code = 0;
  return {};
}

}  // namespace

CLI::App* add_nat_command(CLI::App& app, NatArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "nat", "a home router: IPv4 forwarding, NAT with port forwards, hairpinning and NAT-PMP");
  add_text_option(cmd, "--outside", a.outside,
                  "IF,CIDR[,HOSTCIDR]: the public link (e.g. wan0,203.0.113.2/24,203.0.113.1/24); "
                  "HOSTCIDR goes to the kernel's side. IF,dhcp: lease the address with a DHCP "
                  "client (needs --tap; the kernel's side gets no address from synack)")
      ->required();
  add_text_option(cmd, "--inside", a.inside,
                  "IF,CIDR[,HOSTCIDR]: the home network (e.g. lan0,10.0.1.1/24,10.0.1.201/24)")
      ->required();
  add_text_option(cmd, "--gateway", a.gateway,
                  "the outside next hop (default route); used on --tap links");
  cmd->add_option("--forward", a.forwards,
                  "PROTO:PORT[-PORT]=IP:PORT, e.g. tcp:3390=10.0.1.201:3389 (repeatable)")
      ->type_name("RULE")
      ->allow_extra_args(false);
  add_text_option(cmd, "--conntrack-max", a.conntrack_max,
                  "most tracked flows (default 65536); new flows beyond are dropped");
  add_text_option(cmd, "--filtering", a.filtering,
                  "who may send in through a masquerade mapping (RFC 4787 REQ-8, RFC 5382 "
                  "§4.3): address-and-port-dependent (the default, like Linux: only remotes "
                  "the inside endpoint sent to) or endpoint-independent (anyone)");
  add_strict_flag(cmd, "--nat-pmp", a.nat_pmp, "serve NAT-PMP (RFC 6886) on the inside, UDP 5351");
  add_strict_flag(cmd, "--tap", a.tap, "use TAP (Ethernet, with ARP) devices for both links");
  add_text_option(cmd, "--netns-outside", a.netns_outside,
                  "create the outside device in this `ip netns` namespace");
  add_text_option(cmd, "--netns-inside", a.netns_inside,
                  "create the inside device in this `ip netns` namespace");
  add_text_option(cmd, "--pcap-outside", a.pcap_outside, "capture the outside link");
  add_text_option(cmd, "--pcap-inside", a.pcap_inside, "capture the inside link");
  add_text_option(cmd, "--impair", a.impair,
                  "impair both links, e.g. loss=2%,dup=1%,reorder=25%,delay=50ms,seed=7");
  add_text_option(cmd, "--ddns", a.ddns,
                  "keep a dynamic DNS name at the outside address (at start and on every DHCP "
                  "change), sent from the outside link: rfc2136:SERVER,ZONE,NAME,KEYFILE (TSIG "
                  "key as tsig-keygen writes it) or dyndns2:URL,NAME,USER:PASSWORD (or @FILE "
                  "with USER:PASSWORD on FILE's first line); one `ddns: ...` line per step on "
                  "stdout (https: set SSL_CERT_FILE=CA.pem to trust a private CA). The "
                  "router's own sockets use outside ports 61000-61999, never mapped");
  add_text_option(cmd, "--dns", a.dns,
                  "the DNS server (IPv4) the router asks for a dyndns2 URL's host name; "
                  "default: the first one the outside lease names (DHCP option 6)");
  cmd->footer(
      "Prints `ready` on stdout once both links are up; with --outside IF,dhcp that is\n"
      "before the first lease (the `dhcp: ...` lines follow on stdout; until a lease,\n"
      "packets to the outside are dropped, counted as no-address). On a lease change, NAK\n"
      "or expiry the flows and mappings of the old address are dropped (`nat: outside\n"
      "address NEW (was OLD): dropped N flows ...`), NAT-PMP restarts its epoch and\n"
      "announces the new address, and --ddns updates the name. SIGUSR1 prints the\n"
      "conntrack table (protocol, inside, outside, remote, state, timeout left) and\n"
      "counters (nat:, nat-pmp:, router:, reassembly:) on stderr; SIGINT or SIGTERM\n"
      "flushes the captures and exits 0. Fragments are reassembled (at most 64\n"
      "datagrams, 1 MiB, 30 s) and fragmented again to the egress MTU.\n"
      "Bad arguments: one line, exit 2.");
  return cmd;
}

int run_nat_command(const NatArgs& a) {
  auto bad = [](const std::string& msg) {
    std::fprintf(stderr, "synack nat: error: %s\n", msg.c_str());
    return 2;
  };
  // Every argument is checked before a device is created or a file written.
  LinkSpec out_spec, in_spec;
  if (auto err = parse_link("--outside", a.outside, out_spec, true)) return bad(*err);
  if (out_spec.dhcp && !a.tap)
    return bad("--outside " + out_spec.ifname +
               ",dhcp needs --tap (DHCP needs Ethernet broadcast; a TUN has none)");
  if (auto err = parse_link("--inside", a.inside, in_spec)) return bad(*err);
  if (out_spec.ifname == in_spec.ifname && a.netns_outside == a.netns_inside)
    return bad("--outside and --inside name the same interface " + in_spec.ifname);
  if (!out_spec.dhcp && overlaps(out_spec.addr, in_spec.addr))
    return bad("--outside " + out_spec.addr.to_string() + " and --inside " +
               in_spec.addr.to_string() + " overlap");
  for (const LinkSpec* s : {&out_spec, &in_spec})
    if (s->host && !s->addr.contains(s->host->address))
      return bad("HOSTCIDR " + s->host->to_string() + " is not in " + s->addr.to_string());
  nat::NatConfig cfg;
  cfg.outside = out_spec.addr;
  cfg.inside = in_spec.addr;
  std::optional<wire::Ipv4Address> gateway;
  if (!a.gateway.empty()) {
    gateway = wire::Ipv4Address::parse(a.gateway);
    if (!gateway) return bad("bad --gateway '" + a.gateway + "': expected an IPv4 address");
    if (out_spec.dhcp)
      return bad(
          "--gateway cannot be used with --outside IF,dhcp (the lease's router is the "
          "gateway)");
    if (!out_spec.addr.contains(*gateway) || *gateway == out_spec.addr.address)
      return bad("bad --gateway '" + a.gateway + "': not another address of " +
                 out_spec.addr.to_string());
  }
  for (const std::string& text : a.forwards) {
    std::string err;
    auto f = nat::PortForward::parse(text, &err);
    if (!f) return bad("bad --forward '" + text + "': " + err);
    if (!in_spec.addr.contains(f->to.addr) || f->to.addr == in_spec.addr.address)
      return bad("bad --forward '" + text + "': " + f->to.addr.to_string() +
                 " is not a host of the inside network " + in_spec.addr.to_string());
    for (const nat::PortForward& g : cfg.forwards)
      if (f->overlaps(g)) return bad("bad --forward '" + text + "': overlaps " + g.to_string());
    cfg.forwards.push_back(*f);
  }
  if (!a.conntrack_max.empty()) {
    std::string why;
    auto v = parse_integer(a.conntrack_max, 1, 10'000'000, &why);
    if (!v) return bad("bad --conntrack-max '" + a.conntrack_max + "': " + why);
    cfg.conntrack_max = static_cast<std::size_t>(*v);
  }
  if (!a.filtering.empty()) {
    if (a.filtering == "endpoint-independent")
      cfg.filtering = nat::Filtering::EndpointIndependent;
    else if (a.filtering == "address-and-port-dependent")
      cfg.filtering = nat::Filtering::AddressAndPortDependent;
    else
      return bad("bad --filtering '" + a.filtering +
                 "': expected endpoint-independent or address-and-port-dependent");
  }
  std::optional<ImpairSpec> impair;
  if (!a.impair.empty()) {
    std::string err;
    impair = ImpairSpec::parse(a.impair, &err);
    if (!impair) return bad("bad --impair '" + a.impair + "': " + err);
  }
  for (const auto& [opt, name] : {std::pair{"--netns-outside", &a.netns_outside},
                                  std::pair{"--netns-inside", &a.netns_inside}})
    if (!name->empty())
      if (auto err = NetnsGuard::check(opt, *name)) return bad(*err);
  for (const auto& [opt, path] :
       {std::pair{"--pcap-outside", &a.pcap_outside}, std::pair{"--pcap-inside", &a.pcap_inside}})
    if (!path->empty())
      if (auto err = check_output_path(*path)) return bad(std::string("bad ") + opt + ": " + *err);
  if (!a.pcap_outside.empty() && !a.pcap_inside.empty() && same_file(a.pcap_outside, a.pcap_inside))
    return bad("--pcap-outside and --pcap-inside name the same file");
  std::optional<wire::Ipv4Address> dns_server;
  if (!a.dns.empty()) {
    dns_server = wire::Ipv4Address::parse(a.dns);
    if (!dns_server || dns_server->is_unspecified())
      return bad("bad --dns '" + a.dns + "': expected an IPv4 address");
  }
  std::optional<apps::ddns::DdnsSpec> ddns_spec;
  if (!a.ddns.empty()) {
    std::string err;
    ddns_spec = apps::ddns::DdnsSpec::parse(a.ddns, &err);
    if (!ddns_spec) return bad("bad --ddns '" + a.ddns + "': " + err);
    cfg.local_ports = std::pair{kRouterPortFirst, kRouterPortLast};
    for (const nat::PortForward& f : cfg.forwards)
      if (f.first <= kRouterPortLast && f.last >= kRouterPortFirst)
        return bad("--forward " + f.to_string() + " overlaps the ports " +
                   std::to_string(kRouterPortFirst) + "-" + std::to_string(kRouterPortLast) +
                   " the router's own --ddns sockets use");
  }
  std::random_device rd;
  cfg.seed = (std::uint64_t(rd()) << 32) | rd();  // RFC 6056: unpredictable ports

  // Signals first, so that a SIGTERM right after `ready` is not lost.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGINT, SIGTERM, SIGUSR1})
    sigaddset(&sigs, s);
  sigprocmask(SIG_BLOCK, &sigs, nullptr);
  int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);

  Link outside, inside;
  int code = 0;
  std::string err = open_link(outside, out_spec, a.tap, a.netns_outside, a.pcap_outside, gateway,
                              bool(cfg.local_ports), code);
  if (err.empty())
    err =
        open_link(inside, in_spec, a.tap, a.netns_inside, a.pcap_inside, std::nullopt, false, code);
  if (!err.empty()) {
    std::fprintf(stderr, "synack nat: error: %s\n", err.c_str());
    return code;
  }
  if (impair) {
    outside.dev()->set_impairment(impair->link, impair->seed);
    inside.dev()->set_impairment(impair->link, impair->seed + 1);
  }
  nat::NatRouter router(cfg, inside.stack->interface(), outside.stack->interface());

  const Instant start = monotonic_now();
  auto now_fn = [&] { return Instant(monotonic_now() - start); };
  std::unique_ptr<nat::NatPmpServer> pmp;
  socket::UdpSocket pmp_sock;
  if (a.nat_pmp) {
    pmp = std::make_unique<nat::NatPmpServer>(router.engine(), now_fn());
    inside.stack->set_time(now_fn());
    auto s = inside.stack->udp_bind(nat::NatPmpServer::kServerPort);
    if (!s) {
      std::fprintf(stderr, "synack nat: error: cannot bind NAT-PMP port 5351\n");
      return 1;
    }
    pmp_sock = std::move(*s);
    pmp_sock.on_event([&] {
      while (true) {
        auto d = pmp_sock.try_recv();
        if (!d) break;
        auto reply = pmp->on_request(inside.stack->now(), {d->addr, d->port}, d->data);
        if (!reply.empty()) pmp_sock.send_to(d->addr, d->port, reply);
      }
    });
  }

  auto out_line = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  std::unique_ptr<apps::ddns::DdnsUpdater> ddns;
  if (ddns_spec) {
    std::string err2;
    outside.stack->set_time(now_fn());
    ddns = apps::ddns::DdnsUpdater::create(*outside.stack, *ddns_spec, out_line, &err2);
    if (!ddns) {
      std::fprintf(stderr, "synack nat: error: --ddns: %s\n", err2.c_str());
      return 1;
    }
    if (!out_spec.dhcp) ddns->set_address(out_spec.addr.address);
    if (dns_server) ddns->set_dns_servers({*dns_server});
  }
  std::unique_ptr<apps::dhcp::DhcpAgent> dhcp;
  if (out_spec.dhcp) {
    apps::dhcp::DhcpAgentConfig dc;
    dc.client.seed = (std::uint64_t(rd()) << 32) | rd();
    // RFC 5227: each new outside address is probed with ARP first.
    outside.watch = std::make_unique<apps::dhcp::FrameWatchDevice>(*outside.tap);
    dc.send_frame = [&](std::span<const std::uint8_t> f) { outside.tap->transmit(now_fn(), f); };
    out_line("dhcp: discovering on " + out_spec.ifname + " (MAC " +
             outside.stack->interface().mac().to_string() + ")");
    outside.stack->set_time(now_fn());
    auto agent = apps::dhcp::DhcpAgent::start(
        *outside.stack, dc, [&](const synack::dhcp::DhcpEvent& e, const apps::dhcp::DhcpAgent& ag) {
          out_line("dhcp: " + synack::dhcp::describe(e));
          auto held = ag.address();
          if (held && overlaps(*held, in_spec.addr)) {
            // Double NAT behind an ISP box on the inside's own subnet: the
            // same refusal a fixed --outside gets, said instead of failing
            // silently.
            out_line("nat: leased " + held->to_string() + " overlaps --inside " +
                     in_spec.addr.to_string() + ": not used");
            held.reset();
          }
          wire::Ipv4Cidr now_addr = held ? *held : wire::Ipv4Cidr{wire::Ipv4Address(), 32};
          nat::NatEngine& eng = router.engine();
          if (now_addr.address != eng.config().outside.address ||
              now_addr.prefix_len != eng.config().outside.prefix_len) {
            std::string was = eng.config().outside.to_string();
            std::size_t n = eng.set_outside(now_addr);
            out_line("nat: outside address " + (held ? now_addr.to_string() : std::string("none")) +
                     " (was " + was + "): dropped " + std::to_string(n) +
                     " flows and their mappings");
            // RFC 6886 §3.2.1: a new epoch and the new address announced.
            if (pmp && held) pmp->restart(now_fn());
          }
          if (ddns && !dns_server) {
            const auto& lease = ag.lease();
            std::vector<wire::Ipv4Address> servers;
            if (lease)
              servers.assign(lease->dns_servers.view().begin(), lease->dns_servers.view().end());
            ddns->set_dns_servers(servers);
          }
          if (ddns) ddns->set_address(held ? std::optional(held->address) : std::nullopt);
        });
    if (!agent) {
      std::fprintf(stderr, "synack nat: error: cannot bind UDP port 68 for DHCP: %s\n",
                   std::string(socket::to_string(agent.error())).c_str());
      return 1;
    }
    dhcp = std::move(*agent);
    outside.watch->set_watcher(
        [a = dhcp.get()](Instant t, std::span<const std::uint8_t> f) { a->on_frame(t, f); });
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {outside.dev()->fd(), inside.dev()->fd(), sfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  std::printf("ready\n");
  std::fflush(stdout);

  bool running = true;
  while (running) {
    Instant now = now_fn();
    Instant next =
        earliest(earliest(inside.stack->poll_at(), outside.stack->poll_at()), router.poll_at());
    if (pmp) next = earliest(next, pmp->poll_at());
    for (Link* l : {&inside, &outside})
      if (auto d = l->dev()->next_deadline()) next = earliest(next, *d);
    int timeout = -1;
    if (next != kNever) {
      auto us = (next - now).count();
      timeout = us <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>((us + 999) / 1000, 60'000));
    }
    epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, timeout);
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.fd != sfd) continue;
      signalfd_siginfo si{};
      while (::read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGUSR1) {
          std::string text = router.engine().format_table(now_fn());
          text += "nat: " + router.engine().format_counters();
          if (pmp) {
            const auto& pc = pmp->counters();
            text += "nat-pmp: requests " + std::to_string(pc.requests) + " mapped " +
                    std::to_string(pc.mapped) + " deleted " + std::to_string(pc.deleted) +
                    " errors " + std::to_string(pc.errors) + " ignored " +
                    std::to_string(pc.ignored) + " announcements " +
                    std::to_string(pc.announcements) + "\n";
          }
          const auto& rc = router.counters();
          text += "router: forwarded " + std::to_string(rc.forwarded) + " time-exceeded " +
                  std::to_string(rc.time_exceeded_sent) + " frag-needed " +
                  std::to_string(rc.frag_needed_sent) + " too-big " +
                  std::to_string(rc.too_big_dropped) + " fragmented " +
                  std::to_string(rc.fragmented) + " fragments-out " +
                  std::to_string(rc.fragments_sent) + " echo-replies " +
                  std::to_string(rc.echo_replies) + " icmp-rate-limited " +
                  std::to_string(rc.icmp_rate_limited) + " resets " +
                  std::to_string(rc.resets_sent) + "\n";
          const auto& fr = router.reassembler();
          const auto& fc = fr.counters();
          text += "reassembly: held " + std::to_string(fr.datagrams()) + " datagrams " +
                  std::to_string(fr.bytes()) + " bytes; fragments " + std::to_string(fc.fragments) +
                  " reassembled " + std::to_string(fc.reassembled) + " duplicates " +
                  std::to_string(fc.duplicates) + " timed-out " + std::to_string(fc.timed_out) +
                  " evicted " + std::to_string(fc.evicted) + " overlaps " +
                  std::to_string(fc.overlaps) + " malformed " + std::to_string(fc.malformed) + "\n";
          std::fputs(text.c_str(), stderr);
          std::fflush(stderr);
        } else {
          running = false;
        }
      }
    }
    // Each poll's ingress queues forwarded packets on the other link, whose
    // next poll sends them: poll both until neither has work due now.
    for (int round = 0; round < 4; ++round) {
      now = now_fn();
      router.on_timers(now);
      if (pmp) {
        inside.stack->set_time(now);
        // RFC 6886 §3.2.1: to 224.0.0.1 (on TAP, its 01:00:5e:00:00:01).
        if (auto ann = pmp->announcement(now))
          pmp_sock.send_to(nat::NatPmpServer::kAnnounceGroup, nat::NatPmpServer::kClientPort, *ann);
      }
      inside.stack->poll(now, inside.device());
      outside.stack->poll(now, outside.device());
      if (inside.stack->poll_at() > now && outside.stack->poll_at() > now) break;
    }
  }
  // RFC 2131 §4.4.6: the lease goes back to the server on a clean stop.
  if (dhcp && dhcp->lease()) {
    auto held = *dhcp->lease();
    dhcp->release();
    outside.stack->poll(now_fn(), outside.device());
    out_line("dhcp: released " + held.address.to_string() + " to " + held.server.to_string());
  }
  dhcp.reset();
  ddns.reset();
  close(ep);
  close(sfd);
  for (Link* l : {&inside, &outside})
    if (l->pcap) l->pcap->close();
  return 0;
}

}  // namespace synack::tools
