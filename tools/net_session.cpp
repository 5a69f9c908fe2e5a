#include "net_session.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>

#include "impair_spec.hpp"
#include "phy/link_params.hpp"
#include "tcp/tcp_layer.hpp"
#include "tcp_info_format.hpp"
#include "trace/sequence_diagram.hpp"

namespace synack::tools {

void add_net_options(CLI::App* cmd, NetArgs& a) {
  cmd->add_option("--tun", a.tun, "TUN (or TAP) interface to create or attach to (e.g. sk0)")
      ->required();
  cmd->add_option("--addr", a.addr, "synack's own address, CIDR (e.g. 10.77.0.2/24)")->required();
  cmd->add_option("--host-addr", a.host_addr,
                  "address to give the kernel's side of the TUN, CIDR (e.g. 10.77.0.1/24)");
  add_tcp_options(cmd, a.tcp);
  cmd->add_option("--pcap", a.pcap, "write every frame in both directions to this pcap file");
  cmd->add_option("--trace", a.trace,
                  "log every segment and state change to FILE, or - for stderr");
  cmd->add_option("--impair", a.impair,
                  "impair both directions, e.g. loss=2%,dup=1%,reorder=25%,delay=50ms,seed=7");
  cmd->add_flag("--tap", a.tap, "use a TAP (Ethernet, with ARP) device instead of TUN");
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::unique_ptr<NetSession> NetSession::open(const char* cmd, const NetArgs& a, int& exit_code) {
  auto fail = [&](int code, const std::string& msg) -> std::unique_ptr<NetSession> {
    std::fprintf(stderr, "synack %s: error: %s\n", cmd, msg.c_str());
    exit_code = code;
    return nullptr;
  };
  std::unique_ptr<NetSession> s(new NetSession());
  auto addr = wire::Ipv4Cidr::parse(a.addr);
  if (!addr) return fail(2, "bad --addr '" + a.addr + "': expected IPv4/prefix like 10.77.0.2/24");
  s->addr_ = *addr;
  std::optional<wire::Ipv4Cidr> host;
  if (!a.host_addr.empty()) {
    host = wire::Ipv4Cidr::parse(a.host_addr);
    if (!host)
      return fail(2,
                  "bad --host-addr '" + a.host_addr + "': expected IPv4/prefix like 10.77.0.1/24");
    if (host->address == addr->address)
      return fail(2, "--host-addr and --addr must differ (" + addr->address.to_string() + ")");
  }
  if (a.tun.empty() || a.tun.size() > 15)
    return fail(2, "bad --tun '" + a.tun + "': 1 to 15 characters");
  if (auto err = apply_tcp_options(a.tcp, s->cfg_)) return fail(2, *err);
  std::optional<ImpairSpec> impair;
  if (!a.impair.empty()) {
    std::string err;
    impair = ImpairSpec::parse(a.impair, &err);
    if (!impair) return fail(2, "bad --impair: " + err);
  }
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
  if (impair) dev->set_impairment(impair->link, impair->seed);

  iface::InterfaceConfig ic;
  ic.name = "synack";
  ic.address = *addr;
  ic.mtu = dev->caps().mtu;
  ic.tcp = s->cfg_;
  s->stack_ = std::make_unique<socket::Stack>(ic);
  if (s->trace_out_) s->stack_->set_trace(&s->trace_);
  s->loop_ = s->tap_ ? std::make_unique<runtime::EventLoop>(*s->stack_, *s->tap_)
                     : std::make_unique<runtime::EventLoop>(*s->stack_, *s->tun_);
  s->loop_->stop_on_signals({SIGINT, SIGTERM});
  if (s->trace_out_)
    s->loop_->every(std::chrono::milliseconds(100), [p = s.get()] { p->flush_trace(); });
  exit_code = 0;
  return s;
}

NetSession::~NetSession() {
  flush_trace();
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

std::string NetSession::connection_dump() const {
  std::string out;
  const tcp::TcpLayer& t = stack_->tcp();
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
  return out;
}

}  // namespace synack::tools
