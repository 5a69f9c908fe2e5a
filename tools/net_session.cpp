#include "net_session.hpp"

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <random>

#include "cli_checks.hpp"
#include "impair_spec.hpp"
#include "phy/link_params.hpp"
#include "tcp/tcp_layer.hpp"
#include "tcp_info_format.hpp"
#include "trace/sequence_diagram.hpp"

namespace synack::tools {

void add_net_options(CLI::App* cmd, NetArgs& a) {
  add_text_option(cmd, "--tun", a.tun,
                  "TUN (or TAP) interface to create or attach to (e.g. sk0; at most 15 "
                  "characters)")
      ->required();
  add_text_option(cmd, "--addr", a.addr,
                  "synack's own address, CIDR (e.g. 10.77.0.2/24), or dhcp: lease one with a "
                  "DHCP client (the kernel side then gets no address from synack; the lease "
                  "is released on exit)")
      ->required();
  add_text_option(cmd, "--host-addr", a.host_addr,
                  "address to give the kernel's side of the TUN, CIDR (e.g. 10.77.0.1/24)");
  add_tcp_options(cmd, a.tcp);
  add_text_option(cmd, "--pcap", a.pcap, "write every frame in both directions to this pcap file");
  add_text_option(cmd, "--trace", a.trace,
                  "log every segment and state change to FILE, or - for stderr");
  add_text_option(cmd, "--impair", a.impair,
                  "impair both directions, e.g. loss=2%,dup=1%,reorder=25%,delay=50ms,seed=7");
  add_strict_flag(cmd, "--tap", a.tap, "use a TAP (Ethernet, with ARP) device instead of TUN");
  add_strict_flag(cmd, "--no-offload", a.no_offload,
                  "one packet per read and write: no virtio-net header, no TCP segmentation or "
                  "checksum offload (--impair implies it: the fault injector acts per packet;\n"
                  "SYNACK_NO_OFFLOAD=1 in the environment does the same as this flag)");
  add_strict_flag(cmd, "--stats", a.stats,
                  "at exit, print the device's counters on stderr (syscalls, segments per "
                  "syscall, GSO frames each way) and a `buffers: ...` line (buffer memory held, "
                  "its peak, the --buffer-budget, refusals)");
}

bool offload_wanted(const NetArgs& a, bool impaired) {
  const char* env = std::getenv("SYNACK_NO_OFFLOAD");
  return !a.no_offload && !impaired && !(env != nullptr && std::string_view(env) == "1");
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  auto v = parse_integer(text, 1, 65535, nullptr);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::optional<std::string> check_host_address(const char* option, const std::string& text) {
  auto cidr = wire::Ipv4Cidr::parse(text);
  std::string bad = std::string("bad ") + option + " '" + text + "': ";
  if (!cidr) return bad + "expected IPv4/prefix like 10.77.0.2/24";
  std::uint32_t a = cidr->address.to_u32();
  if (a == 0 || a == 0xffffffffu || (a >> 24) == 127 || (a >> 28) >= 0xe)
    return bad + "not a unicast host address (0.0.0.0, 127/8, multicast, 240/4, broadcast)";
  return std::nullopt;
}

std::optional<std::string> check_net_args(const NetArgs& a, NetChecked* out) {
  bool dhcp = a.allow_dhcp && a.addr == "dhcp";
  if (!dhcp)
    if (auto err = check_host_address("--addr", a.addr)) return err;
  auto addr =
      dhcp ? std::optional(wire::Ipv4Cidr{wire::Ipv4Address(), 32}) : wire::Ipv4Cidr::parse(a.addr);
  std::optional<wire::Ipv4Cidr> host;
  if (dhcp && !a.host_addr.empty())
    return "--host-addr cannot be used with --addr dhcp (the DHCP server's side configures "
           "the kernel's end)";
  if (!a.host_addr.empty()) {
    if (auto err = check_host_address("--host-addr", a.host_addr)) return err;
    host = wire::Ipv4Cidr::parse(a.host_addr);
    if (host->address == addr->address)
      return "--host-addr and --addr must differ (" + addr->address.to_string() + ")";
  }
  if (auto err = check_ifname(a.tun)) return "bad --tun: " + *err;
  tcp::TcpConfig cfg;
  if (auto err = apply_tcp_options(a.tcp, cfg)) return err;
  randomize_secrets(cfg);
  std::optional<ImpairSpec> impair;
  if (!a.impair.empty()) {
    std::string err;
    impair = ImpairSpec::parse(a.impair, &err);
    if (!impair) return "bad --impair '" + a.impair + "': " + err;
  }
  if (!a.trace.empty() && a.trace != "-")
    if (auto err = check_output_path(a.trace)) return "bad --trace: " + *err;
  if (!a.pcap.empty())
    if (auto err = check_output_path(a.pcap)) return "bad --pcap: " + *err;
  if (!a.pcap.empty() && !a.trace.empty() && a.trace != "-" && same_file(a.pcap, a.trace))
    return "--pcap and --trace name the same file '" + a.pcap + "'";
  if (out) {
    out->addr = *addr;
    out->dhcp = dhcp;
    out->host = host;
    out->cfg = cfg;
    out->impair = impair;
  }
  return std::nullopt;
}

std::unique_ptr<NetSession> NetSession::open(const char* cmd, const NetArgs& a, int& exit_code) {
  auto fail = [&](int code, const std::string& msg) -> std::unique_ptr<NetSession> {
    std::fprintf(stderr, "synack %s: error: %s\n", cmd, msg.c_str());
    exit_code = code;
    return nullptr;
  };
  // Every argument is checked before anything is created or written.
  NetChecked checked;
  if (auto err = check_net_args(a, &checked)) return fail(2, *err);
  std::unique_ptr<NetSession> s(new NetSession());
  s->addr_ = checked.addr;
  s->cfg_ = checked.cfg;
  const wire::Ipv4Cidr* addr = &checked.addr;
  const std::optional<wire::Ipv4Cidr>& host = checked.host;
  const std::optional<ImpairSpec>& impair = checked.impair;
  // The paths were checked above; failing here is a runtime failure (exit 1).
  if (!a.trace.empty()) {
    if (a.trace == "-") {
      s->trace_out_ = stderr;
    } else {
      s->trace_out_ = std::fopen(a.trace.c_str(), "w");
      if (!s->trace_out_) return fail(1, "cannot write --trace file " + a.trace);
      s->trace_owned_ = true;
    }
  }
  if (!a.pcap.empty()) {
    std::string err;
    s->pcap_ = phy::PcapWriter::open(
        a.pcap, &err, a.tap ? phy::PcapLinkType::Ethernet : phy::PcapLinkType::RawIp);
    if (!s->pcap_) return fail(1, "cannot write --pcap file " + a.pcap + ": " + err);
  }

  phy::TunOptions topts;
  topts.name = a.tun;
  topts.host_addr = host;
  // The fault injector drops, delays and corrupts per frame: with offload a
  // frame could stand for 45 wire segments, so impairment turns it off.
  topts.offload = offload_wanted(a, impair.has_value());
  // Missing permission is a usage problem too: say what is needed, exit 2.
  auto open_error = [&](const std::string& e) {
    return fail(e.find("permission") != std::string::npos ? 2 : 1, e);
  };
  phy::TunTapDevice* dev = nullptr;
  if (a.tap) {
    auto tap = phy::TapDevice::open(topts);
    if (!tap) return open_error(tap.error());
    s->tap_ = std::move(*tap);
    dev = s->tap_.get();
  } else {
    auto tun = phy::TunDevice::open(topts);
    if (!tun) return open_error(tun.error());
    s->tun_ = std::move(*tun);
    dev = s->tun_.get();
  }
  if (s->pcap_) dev->set_pcap(s->pcap_.get());
  s->print_stats_ = a.stats;
  if (impair) dev->set_impairment(impair->link, impair->seed);

  iface::InterfaceConfig ic;
  ic.name = "synack";
  ic.address = *addr;
  // A DHCP server knows the client by its MAC: the same across runs on the
  // same device name (a lease survives a restart).
  if (checked.dhcp) ic.mac = apps::dhcp::stable_mac(a.tun);
  ic.mtu = dev->caps().mtu;
  ic.tcp = s->cfg_;
  s->stack_ = std::make_unique<socket::Stack>(ic);
  if (s->trace_out_) s->stack_->set_trace(&s->trace_);
  if (checked.dhcp && s->tap_) {
    s->watch_ = std::make_unique<apps::dhcp::FrameWatchDevice>(*s->tap_);
    s->loop_ = std::make_unique<runtime::EventLoop>(*s->stack_, *s->watch_, s->tap_->fd());
    s->loop_->set_device_deadline([t = s->tap_.get()] { return t->next_deadline(); });
  } else {
    s->loop_ = s->tap_ ? std::make_unique<runtime::EventLoop>(*s->stack_, *s->tap_)
                       : std::make_unique<runtime::EventLoop>(*s->stack_, *s->tun_);
  }
  s->loop_->stop_on_signals({SIGINT, SIGTERM});
  if (s->trace_out_)
    s->loop_->every(std::chrono::milliseconds(100), [p = s.get()] { p->flush_trace(); });
  if (checked.dhcp) {
    apps::dhcp::DhcpAgentConfig dc;
    dc.client.seed = (std::uint64_t(std::random_device{}()) << 32) | std::random_device{}();
    // RFC 5227: on TAP each new address is probed with ARP first (a TUN has
    // no ARP: nothing to probe with).
    if (s->tap_)
      dc.send_frame = [p = s.get()](std::span<const std::uint8_t> f) {
        p->tap_->transmit(p->stack_->now(), f);
      };
    std::printf("dhcp: discovering on %s (MAC %s)\n", a.tun.c_str(),
                s->stack_->interface().mac().to_string().c_str());
    std::fflush(stdout);
    NetSession* p = s.get();
    auto agent = apps::dhcp::DhcpAgent::start(
        *s->stack_, dc, [p](const synack::dhcp::DhcpEvent& e, const apps::dhcp::DhcpAgent&) {
          std::printf("dhcp: %s\n", synack::dhcp::describe(e).c_str());
          std::fflush(stdout);
          if (p->dhcp_hook_) p->dhcp_hook_(e);
        });
    if (!agent)
      return fail(1, std::string("cannot bind UDP port 68 for DHCP: ") +
                         std::string(socket::to_string(agent.error())));
    s->dhcp_ = std::move(*agent);
    if (s->watch_)
      s->watch_->set_watcher([a = s->dhcp_.get()](Instant now, std::span<const std::uint8_t> f) {
        a->on_frame(now, f);
      });
  }
  exit_code = 0;
  return s;
}

bool NetSession::wait_for_address() {
  if (!dhcp_) return true;
  loop_->run_until([&] { return !stack_->interface().address().is_unspecified(); });
  return !stack_->interface().address().is_unspecified();
}

NetSession::~NetSession() {
  flush_trace();
  // RFC 2131 §4.4.6: a client that stops gives its lease back. The line
  // goes to stderr: stdout may carry connect's received bytes, and its
  // lines before are a contract.
  if (dhcp_ && loop_ && dhcp_->lease()) {
    auto held = *dhcp_->lease();
    dhcp_->release();
    loop_->drain(std::chrono::milliseconds(500));
    std::fprintf(stderr, "dhcp: released %s to %s\n", held.address.to_string().c_str(),
                 held.server.to_string().c_str());
  }
  if (print_stats_) {
    std::string line = device_stats() + "\n" + format_buffers(stack_->tcp()) + "\n";
    std::fputs(line.c_str(), stderr);
  }
  dhcp_.reset();
  loop_.reset();
  stack_.reset();
  if (trace_owned_ && trace_out_) std::fclose(trace_out_);
}

void NetSession::flush_trace() {
  if (!trace_out_ || trace_written_ >= trace_.events().size()) return;
  std::vector<tcp::TraceEvent> fresh(
      trace_.events().begin() + static_cast<std::ptrdiff_t>(trace_written_), trace_.events().end());
  trace_written_ = trace_.events().size();
  std::string text = trace::render_event_log(fresh);
  std::fwrite(text.data(), 1, text.size(), trace_out_);
  std::fflush(trace_out_);
}

void NetSession::trace_connection(const tcp::Connection& c, std::string_view why) {
  if (!trace_out_) return;
  flush_trace();
  std::string line =
      fmt::format("stats {}:{} {}:{} {} {}: {}\n", c.tuple().local_addr.to_string(),
                  c.tuple().local_port, c.tuple().remote_addr.to_string(), c.tuple().remote_port,
                  tcp::to_string(c.state()), why, format_tcp_info(c.info()));
  std::fwrite(line.data(), 1, line.size(), trace_out_);
  std::fflush(trace_out_);
}

void NetSession::trace_line(std::string_view text) {
  if (!trace_out_) return;
  flush_trace();
  std::fwrite(text.data(), 1, text.size(), trace_out_);
  std::fputc('\n', trace_out_);
  std::fflush(trace_out_);
}

std::string NetSession::device_stats() const {
  const phy::TunTapDevice& d = tun_ ? static_cast<const phy::TunTapDevice&>(*tun_) : *tap_;
  return device_stats_line(d.name(), d.offload(), d.counters());
}

std::string device_stats_line(const std::string& name, bool offload, const phy::TunCounters& c,
                              const std::string& prefix) {
  auto per = [](std::uint64_t a, std::uint64_t b) { return b ? double(a) / double(b) : 0.0; };
  return fmt::format(
      "{}device {}: offload {}; rx {} reads {} frames {} segments ({:.2f} segments/read) "
      "{} gso_frames {} csum_trusted; tx {} writes {} segments ({:.2f} segments/write) "
      "{} gso_frames {} dropped",
      prefix, name, offload ? "on" : "off", c.rx_reads, c.rx_frames, c.rx_segments,
      per(c.rx_segments, c.rx_reads), c.rx_gso_frames, c.rx_csum_trusted, c.tx_writes,
      c.tx_segments, per(c.tx_segments, c.tx_writes), c.tx_gso_frames, c.tx_dropped);
}

void add_counters(phy::TunCounters& a, const phy::TunCounters& b) {
  a.rx_frames += b.rx_frames;
  a.rx_bytes += b.rx_bytes;
  a.tx_frames += b.tx_frames;
  a.tx_bytes += b.tx_bytes;
  a.tx_dropped += b.tx_dropped;
  a.rx_errors += b.rx_errors;
  a.rx_reads += b.rx_reads;
  a.rx_segments += b.rx_segments;
  a.rx_gso_frames += b.rx_gso_frames;
  a.rx_csum_trusted += b.rx_csum_trusted;
  a.tx_writes += b.tx_writes;
  a.tx_segments += b.tx_segments;
  a.tx_gso_frames += b.tx_gso_frames;
}

std::string NetSession::connection_dump() const {
  return tools::connection_dump(*stack_);
}

std::string connection_dump(const socket::Stack& stack) {
  std::string out;
  const tcp::TcpLayer& t = stack.tcp();
  t.for_each_connection([&](const tcp::Connection& c) {
    out += fmt::format("{:<12} {}:{} {}:{}\n\t {}\n", tcp::to_string(c.state()),
                       c.tuple().local_addr.to_string(), c.tuple().local_port,
                       c.tuple().remote_addr.to_string(), c.tuple().remote_port,
                       format_tcp_info(c.info()));
  });
  t.time_wait().for_each([&](const tcp::TimeWaitSock& tw) {
    out += fmt::format("{:<12} {}:{} {}:{}\n", "TIME-WAIT", tw.tuple.local_addr.to_string(),
                       tw.tuple.local_port, tw.tuple.remote_addr.to_string(), tw.tuple.remote_port);
  });
  return out + format_buffers(t) + "\n";
}

}  // namespace synack::tools
