#pragma once
// What `synack serve` and `synack connect` share: argument checks, the TUN
// (or, with --tap, TAP) device with its kernel-side address, the stack, the
// event loop, and the optional capture, trace and impairment.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "apps/dhcp_client/dhcp_agent.hpp"
#include "apps/dhcp_client/frame_watch_device.hpp"
#include "impair_spec.hpp"
#include "phy/pcap_writer.hpp"
#include "phy/tap_device.hpp"
#include "phy/tun_device.hpp"
#include "runtime/event_loop.hpp"
#include "socket/stack.hpp"
#include "tcp/trace.hpp"
#include "tcp_cli_options.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct NetArgs {
  std::string tun;
  std::string addr;       // our address, CIDR, or "dhcp"
  std::string host_addr;  // the kernel side's address, CIDR (optional)
  std::string pcap;
  std::string trace;   // FILE or "-"
  std::string impair;  // LinkParams spec, with seed=N
  bool tap = false;
  bool no_offload = false;  // plain frames: no virtio-net header, no offloads
  bool stats = false;       // the device's counters on stderr at exit
  TcpCliOptions tcp;
  // Whether --addr dhcp is accepted (serve and connect set it).
  bool allow_dhcp = false;
};

// Whether the device may use virtio-net offloads: not with --no-offload, not
// with --impair (the fault injector acts per wire packet), and not when the
// environment sets SYNACK_NO_OFFLOAD=1 (how the test suite runs every
// command without offloads).
bool offload_wanted(const NetArgs& a, bool impaired);

// Registers --tun, --addr, --host-addr, the TCP options, --pcap, --trace,
// --impair, --tap, --no-offload and --stats on `cmd`.
void add_net_options(CLI::App* cmd, NetArgs& a);

// What check_net_args() found in good arguments.
struct NetChecked {
  wire::Ipv4Cidr addr{};  // 0.0.0.0/32 with --addr dhcp
  bool dhcp = false;
  std::optional<wire::Ipv4Cidr> host;
  tcp::TcpConfig cfg;
  std::optional<ImpairSpec> impair;
};

// Checks every argument in `a` without creating or writing anything: the
// addresses, the interface name, the TCP options, --impair and that --pcap
// and --trace can be written. nullopt when good, else the error line.
std::optional<std::string> check_net_args(const NetArgs& a, NetChecked* out = nullptr);
// A CIDR whose address can be an interface's: not 0.0.0.0, loopback,
// multicast, 240/4 or broadcast. nullopt when good, else the error line.
std::optional<std::string> check_host_address(const char* option, const std::string& text);

class NetSession {
 public:
  // Checks the arguments and brings everything up. On failure prints one
  // line `synack CMD: error: ...` and returns nullptr with `exit_code` set (2
  // for bad arguments and missing permission, 1 otherwise).
  static std::unique_ptr<NetSession> open(const char* cmd, const NetArgs& a, int& exit_code);
  ~NetSession();

  socket::Stack& stack() { return *stack_; }
  runtime::EventLoop& loop() { return *loop_; }
  // The interface's address now (0.0.0.0 while --addr dhcp holds no lease).
  wire::Ipv4Address address() const { return stack_->interface().address(); }
  // --addr dhcp: the DHCP agent (null otherwise). It starts with the
  // session; each event prints one line `dhcp: ...` on stdout (see
  // dhcp::describe) and then calls the hook set here.
  bool dhcp() const { return dhcp_ != nullptr; }
  const apps::dhcp::DhcpAgent* dhcp_agent() const { return dhcp_.get(); }
  void on_dhcp_event(std::function<void(const synack::dhcp::DhcpEvent&)> hook) {
    dhcp_hook_ = std::move(hook);
  }
  // Runs the loop until the interface has an address (at once without
  // --addr dhcp). False when a stop signal or a device failure came first.
  bool wait_for_address();
  const tcp::TcpConfig& tcp_config() const { return cfg_; }
  // Writes trace events recorded since the last call (a no-op without --trace).
  void flush_trace();
  // One line per connection and TIME-WAIT entry, like `ss -tan`.
  std::string connection_dump() const;
  // With --trace: one `ss -ti`-like statistics line for the connection.
  void trace_connection(const tcp::Connection& c, std::string_view why);
  bool tracing() const { return trace_out_ != nullptr; }
  // With --trace: one line of the application's own (after the events
  // recorded so far).
  void trace_line(std::string_view text);
  // One line of the device's counters: syscalls, the wire segments they
  // moved (segments per syscall) and the offloads used.
  std::string device_stats() const;

 private:
  NetSession() = default;

  wire::Ipv4Cidr addr_{};
  tcp::TcpConfig cfg_;
  std::unique_ptr<phy::TunDevice> tun_;
  std::unique_ptr<phy::TapDevice> tap_;  // instead of tun_ with --tap
  std::unique_ptr<phy::PcapWriter> pcap_;
  std::unique_ptr<socket::Stack> stack_;
  std::unique_ptr<runtime::EventLoop> loop_;
  std::unique_ptr<apps::dhcp::DhcpAgent> dhcp_;
  // --addr dhcp on TAP: the device the loop polls, showing the agent's ARP
  // probe every received frame.
  std::unique_ptr<apps::dhcp::FrameWatchDevice> watch_;
  std::function<void(const synack::dhcp::DhcpEvent&)> dhcp_hook_;
  tcp::Trace trace_;
  std::FILE* trace_out_ = nullptr;
  bool trace_owned_ = false;
  std::size_t trace_written_ = 0;
  bool print_stats_ = false;
};

// One line per connection and TIME-WAIT entry of `stack`, like `ss -tan`.
std::string connection_dump(const socket::Stack& stack);
// One line of a device's counters (NetSession::device_stats) for interface
// `name`; `prefix` goes before "device" (a core's lines).
std::string device_stats_line(const std::string& name, bool offload, const phy::TunCounters& c,
                              const std::string& prefix = "");
// Adds b's counters to a's (the queues of one interface).
void add_counters(phy::TunCounters& a, const phy::TunCounters& b);

// Parses "1..65535"; nullopt otherwise.
std::optional<std::uint16_t> parse_port(const std::string& text);

}  // namespace synack::tools
