#include "net_cores.hpp"

#include <unistd.h>

#include <cstdio>

#include "phy/tun_steering.hpp"
#include "tcp/tcp_layer.hpp"
#include "tcp_info_format.hpp"

namespace synack::tools {

std::optional<std::string> check_cores_args(const NetArgs& net, int cores,
                                            const std::string& single) {
  if (cores <= 1) return std::nullopt;
  if (net.allow_dhcp && net.addr == "dhcp") return "--addr dhcp needs " + single;
  if (net.tap) return "--tap needs " + single + " (only TUN is multi-queue here)";
  if (!net.pcap.empty()) return "--pcap needs " + single;
  if (!net.trace.empty()) return "--trace needs " + single;
  return std::nullopt;
}

std::vector<NetCore> open_net_cores(const char* cmd, const NetArgs& a, std::size_t n,
                                    bool own_ports, int& exit_code) {
  auto fail = [&](int code, const std::string& msg) {
    std::fprintf(stderr, "synack %s: error: %s\n", cmd, msg.c_str());
    exit_code = code;
    return std::vector<NetCore>{};
  };
  NetChecked checked;
  if (auto err = check_net_args(a, &checked)) return fail(2, *err);
  phy::TunOptions topts;
  topts.name = a.tun;
  topts.host_addr = checked.host;
  // As with one core: the fault injector works per wire packet.
  topts.offload = offload_wanted(a, checked.impair.has_value());
  auto queues = phy::TunDevice::open_queues(topts, n);
  if (!queues)
    return fail(queues.error().find("permission") != std::string::npos ? 2 : 1, queues.error());
  // The ephemeral ports split in n chunks, one per core.
  const tcp::TcpConfig& base = checked.cfg;
  auto chunk = static_cast<std::uint16_t>(
      (std::uint32_t(base.ephemeral_port_last) - base.ephemeral_port_first + 1) / n);
  if (n > 1) {
    phy::SteeringRule rule;
    rule.queues = static_cast<std::uint16_t>(n);
    if (own_ports) {
      rule.port_first = base.ephemeral_port_first;
      rule.port_chunk = chunk;
    }
    auto prog = phy::load_steering_program(rule);
    if (!prog)
      return fail(prog.error().find("permission") != std::string::npos ? 2 : 1, prog.error());
    std::string err = (*queues)[0]->set_steering(*prog);
    ::close(*prog);  // the interface holds the program now
    if (!err.empty()) return fail(1, err);
  }
  std::vector<NetCore> cores(n);
  for (std::size_t i = 0; i < n; ++i) {
    NetCore& c = cores[i];
    c.index = i;
    c.dev = std::move((*queues)[i]);
    if (checked.impair) c.dev->set_impairment(checked.impair->link, checked.impair->seed + i);
    iface::InterfaceConfig ic;
    ic.name = "synack";
    ic.address = checked.addr;
    ic.mtu = c.dev->caps().mtu;
    ic.tcp = checked.cfg;
    if (own_ports && n > 1) {
      ic.tcp.ephemeral_port_first =
          static_cast<std::uint16_t>(base.ephemeral_port_first + i * chunk);
      ic.tcp.ephemeral_port_last =
          static_cast<std::uint16_t>(ic.tcp.ephemeral_port_first + chunk - 1);
    }
    c.cfg = ic.tcp;
    c.stack = std::make_unique<socket::Stack>(ic);
    c.loop = std::make_unique<runtime::EventLoop>(*c.stack, *c.dev);
  }
  exit_code = 0;
  return cores;
}

std::string cores_device_report(const std::vector<const phy::TunDevice*>& queues) {
  std::string out;
  phy::TunCounters sum;
  for (std::size_t i = 0; i < queues.size(); ++i) {
    const phy::TunDevice& d = *queues[i];
    out +=
        device_stats_line(d.name(), d.offload(), d.counters(), "core " + std::to_string(i) + " ") +
        "\n";
    add_counters(sum, d.counters());
  }
  if (!queues.empty())
    out += device_stats_line(queues[0]->name(), queues[0]->offload(), sum) + "\n";
  return out;
}

std::string cores_buffer_report(const std::vector<const socket::Stack*>& stacks) {
  std::string out;
  for (std::size_t i = 0; i < stacks.size(); ++i)
    out += "core " + std::to_string(i) + " " + format_buffers(stacks[i]->tcp()) + "\n";
  return out;
}

}  // namespace synack::tools
